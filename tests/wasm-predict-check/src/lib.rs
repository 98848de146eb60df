//! Exports for run.mjs: checks in node that wasm32 predictions equal the
//! native fixture bits, and times the whole-space prediction in wasm.
use leti::predict::Model;
use leti::space::CellSpec;

#[no_mangle]
pub extern "C" fn alloc(n: usize) -> *mut u8 {
    let mut v = vec![0u8; n];
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

unsafe fn slice<'a>(p: *const u8, n: usize) -> &'a [u8] {
    std::slice::from_raw_parts(p, n)
}

/// Number of mismatching predictions (negative: error).
#[no_mangle]
pub unsafe extern "C" fn check(mp: *const u8, ml: usize, ep: *const u8, el: usize) -> i32 {
    let Ok(m) = Model::from_json_bytes(slice(mp, ml)) else { return -1 };
    let text = std::str::from_utf8(slice(ep, el)).unwrap();
    let mut bad = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let cell = CellSpec::from_json_value(&v["cell"]).unwrap().validate().unwrap();
        let p = m.predict(&cell).unwrap();
        for (k, x) in [("ms_bits", p.ms), ("lo_bits", p.lo_ms), ("hi_bits", p.hi_ms)] {
            if u64::from_str_radix(v[k].as_str().unwrap(), 16).unwrap() != x.to_bits() {
                bad += 1;
            }
        }
    }
    bad
}

/// Predicts a packed space; returns the sum of predictions (keeps the work alive).
#[no_mangle]
pub unsafe extern "C" fn predict_space(mp: *const u8, ml: usize, sp: *const u8, sl: usize) -> f64 {
    let m = Model::from_json_bytes(slice(mp, ml)).unwrap();
    m.predict_packed_space(slice(sp, sl)).unwrap().iter().map(|&x| x as f64).sum()
}

/// Features only over a packed space.
#[no_mangle]
pub unsafe extern "C" fn features_space(sp: *const u8, sl: usize) -> f64 {
    let s = leti::space::unpack(slice(sp, sl)).unwrap();
    s.cells.iter().map(|c| leti::predict::features(c)[0]).sum()
}
