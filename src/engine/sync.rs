//! Portable waiting and clocks: a one-shot future fed by wgpu callbacks (works natively and in
//! the browser), and a millisecond clock (`Instant` natively, `performance.now()` in the browser).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// Resolves once the paired sender is called.
pub struct Receiver<T>(Arc<Mutex<Slot<T>>>);

/// A sender callback (to hand to wgpu) and the future that resolves with its value.
pub fn oneshot<T: Send + 'static>() -> (impl FnOnce(T) + Send + 'static, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot { value: None, waker: None }));
    let tx = slot.clone();
    let send = move |v: T| {
        let mut s = tx.lock().unwrap();
        s.value = Some(v);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    };
    (send, Receiver(slot))
}

impl<T> Future for Receiver<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.0.lock().unwrap();
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Milliseconds on a monotonic clock (arbitrary origin).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// Milliseconds on a monotonic clock (`performance.now()`, window or worker).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Waits until the device has finished all submitted work: natively a blocking poll, in the
/// browser `queue.onSubmittedWorkDone`.
pub async fn submitted_work_done(device: &wgpu::Device, queue: &wgpu::Queue) {
    let (tx, rx) = oneshot::<()>();
    queue.on_submitted_work_done(move || tx(()));
    #[cfg(not(target_arch = "wasm32"))]
    device.poll(wgpu::PollType::wait_indefinitely()).expect("device poll");
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    rx.await
}

/// Maps `buffer` for reading and waits for it.
pub async fn map_read(device: &wgpu::Device, buffer: &wgpu::Buffer) -> Result<(), wgpu::BufferAsyncError> {
    let (tx, rx) = oneshot();
    buffer.slice(..).map_async(wgpu::MapMode::Read, tx);
    #[cfg(not(target_arch = "wasm32"))]
    device.poll(wgpu::PollType::wait_indefinitely()).expect("device poll");
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    rx.await
}
