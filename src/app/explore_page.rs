//! The Explore page: the whole cell space. For now it loads the packed space the Measure page
//! samples from and says how many cells it holds; predictions over it come with the bundled
//! latency models.

use leptos::prelude::*;

use super::space_file;

#[component]
pub fn ExplorePage() -> impl IntoView {
    let loaded = LocalResource::new(|| async { space_file::load().await.map(|cells| cells.len()) });
    view! {
        <section class="card intro">
            <h1>"Explore the space"</h1>
            <p>"The NAS-Bench-101 space holds 423,624 distinct cells. This page will plot predicted latency for every one of them once the latency models are bundled; today it checks the packed space this app measures from."</p>
            <p role="status">{move || match loaded.get() {
                None => "Loading the packed space…".to_string(),
                Some(Ok(n)) => format!("The packed space is loaded: {n} cells."),
                Some(Err(e)) => e,
            }}</p>
        </section>
    }
}
