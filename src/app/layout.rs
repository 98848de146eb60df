//! The app shell: header with the three routes' navigation, the router, and the footer.
//! The measurement runtime is started here, once, so uploads and runs continue while the
//! contributor looks at another page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use super::draw_page::DrawPage;
use super::explore_page::ExplorePage;
use super::measure_page::{self, MeasurePage};

#[component]
pub fn App() -> impl IntoView {
    measure_page::provide_runtime();
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
                <Routes fallback=|| view! { <section class="card"><h1>"Page not found"</h1><p><a href="/">"Go to Measure"</a></p></section> }>
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
