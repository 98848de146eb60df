//! Portable waiting on the GPU: wgpu callbacks feed a one-shot channel (`futures-channel`),
//! which works natively (after a blocking poll) and in the browser (resolved by the event loop).

use futures_channel::oneshot;

/// Waits until the device has finished all submitted work: natively a blocking poll, in the
/// browser `queue.onSubmittedWorkDone`.
pub async fn submitted_work_done(device: &wgpu::Device, queue: &wgpu::Queue) {
    let (tx, rx) = oneshot::channel::<()>();
    queue.on_submitted_work_done(move || {
        let _ = tx.send(());
    });
    #[cfg(not(target_arch = "wasm32"))]
    device.poll(wgpu::PollType::wait_indefinitely()).expect("device poll");
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    rx.await.expect("wgpu calls the submitted-work callback")
}

/// Maps `buffer` for reading and waits for it.
pub async fn map_read(device: &wgpu::Device, buffer: &wgpu::Buffer) -> Result<(), wgpu::BufferAsyncError> {
    let (tx, rx) = oneshot::channel();
    buffer.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    #[cfg(not(target_arch = "wasm32"))]
    device.poll(wgpu::PollType::wait_indefinitely()).expect("device poll");
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    rx.await.expect("wgpu calls the map callback")
}
