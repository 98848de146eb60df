//! The app shell: header with the three routes' navigation, the router, and the footer.
//! The measurement runtime is started here, once, so uploads and runs continue while the
//! contributor looks at another page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use super::draw_page::DrawPage;
use super::explore_page::ExplorePage;
use super::measure_page::{self, MeasurePage};

/// Sets the document title to `page` followed by the app's name.
pub fn page_title(page: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        doc.set_title(&format!("{page} · LETI"));
    }
}

/// What an unknown path shows, inside the app's navigation.
#[component]
fn NotFound() -> impl IntoView {
    page_title("Page not found");
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. LETI has three: "<a href="/">"Measure"</a>" your GPU, "<a href="/draw">"Draw"</a>" a cell, "<a href="/explore">"Explore"</a>" the whole space."</p>
        </section>
    }
}

#[component]
pub fn App() -> impl IntoView {
    measure_page::provide_runtime();
    super::nasbench_data::provide_nasbench();
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="top">
                <span class="brand" aria-hidden="true">"LETI"</span>
                <nav aria-label="Pages">
                    <A href="/" exact=true>"Measure"</A>
                    <A href="/draw">"Draw"</A>
                    <A href="/explore">"Explore"</A>
                </nav>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=MeasurePage/>
                    <Route path=path!("/draw") view=DrawPage/>
                    <Route path=path!("/explore") view=ExplorePage/>
                </Routes>
            </main>
            <footer class="foot">
                <p>"LETI measures how fast NAS-Bench-101 networks run on this device's GPU through WebGPU. Everything runs in this page; measurements are uploaded only with your consent."</p>
            </footer>
        </Router>
    }
}
