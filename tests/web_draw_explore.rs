//! The Draw and Explore pages' logic in a real browser (wasm-bindgen-test, headless
//! Chromium): the cell editor's state (edge toggling, forward-only edges, vertex removal,
//! pruning display, the URL round trip, taps), the model order by adapter, the Explore
//! arithmetic (filters, binning, histogram, Pareto front, nearest cell, hash search, measured
//! vs predicted, slicing the space for the workers) and the
//! functions the Explore worker calls.
#![cfg(target_arch = "wasm32")]

mod common;

use leti::app::bundled_models::{match_score, order};
use leti::app::cell_editor::{draw_url, percent_decode, percent_encode, tap, verdict, Draft, DraftError, EditError, TapOutcome, Verdict};
use leti::app::draw_history::EditHistory;
use leti::app::explore_data::{
    bin_grid, budgets, capacity_front, find_hash, hash_query, histogram, largest_under, nearest, op_counts, Filter, LogAxis, PlotArea,
};
use leti::app::{draw_page, format, space_worker_api};
use leti::measure::anchors::ANCHOR_CODES;
use leti::measure::AdapterInfo;
use leti::net::{build, Cost, NetConfig};
use leti::predict::Model;
use leti::space::{decode, pack, CellSpec, Op};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The README cell drawn the way the end-to-end test taps it: start over, add five vertices,
/// set two ops, remove the input-output edge, add the nine edges (later vertex tapped first).
fn readme_by_edits() -> Draft {
    let mut d = Draft::minimal();
    for _ in 0..5 {
        d.add_vertex(Op::Conv3x3).unwrap();
    }
    d.set_op(1, Op::Conv1x1).unwrap();
    d.set_op(5, Op::MaxPool3x3).unwrap();
    assert_eq!(d.toggle_edge(6, 0), Ok(false), "start over's input -> output edge moved to the end and is removed");
    for (a, b) in [(0, 1), (0, 2), (0, 3), (0, 5), (1, 6), (2, 6), (3, 4), (4, 6), (5, 6)] {
        assert_eq!(d.toggle_edge(b, a), Ok(true));
    }
    d
}

#[wasm_bindgen_test]
fn drawing_the_readme_cell_gives_its_spec_hash_and_parameters() {
    let d = readme_by_edits();
    assert_eq!(d.to_spec(), common::readme_cell());
    let a = draw_page::analyse(&format::spec_json(&d.to_spec())).unwrap();
    assert_eq!(a.hash, common::README_HASH);
    assert_eq!(a.cost.trainable_parameters, common::README_PARAMS);
    assert!(d.pruned_away().is_empty());
}

#[wasm_bindgen_test]
fn edges_only_go_forward_and_toggle() {
    let mut d = Draft::minimal();
    d.add_vertex(Op::Conv3x3).unwrap();
    // Tapped later vertex first: the edge still runs forward.
    assert_eq!(d.toggle_edge(2, 1), Ok(true));
    assert!(d.has_edge(1, 2) && !d.has_edge(2, 1));
    let spec = d.to_spec();
    assert_eq!((spec.module_adjacency[1][2], spec.module_adjacency[2][1]), (1, 0));
    assert_eq!(d.toggle_edge(1, 2), Ok(false));
    assert!(!d.has_edge(1, 2));
    assert_eq!(d.toggle_edge(1, 1), Err(EditError::SelfLoop));
    assert_eq!(d.toggle_edge(1, 9), Err(EditError::NoVertex(9)));
    // No lower-triangular entry is ever written.
    let spec = readme_by_edits().to_spec();
    for (a, row) in spec.module_adjacency.iter().enumerate() {
        for (b, &x) in row.iter().enumerate() {
            assert!(x == 0 || a < b);
        }
    }
}

#[wasm_bindgen_test]
fn removing_a_vertex_drops_its_edges_and_shows_what_pruning_removes() {
    let mut d = readme_by_edits();
    d.remove_vertex(3).unwrap(); // the conv3x3 that feeds vertex 4
    assert_eq!(d.num_vertices(), 6);
    assert_eq!(d.edges(), vec![(0, 1), (0, 2), (0, 4), (1, 5), (2, 5), (3, 5), (4, 5)]);
    // The old vertex 4 (now 3) has no input left: pruning drops it, as the validator does.
    assert_eq!(d.pruned_away(), vec![3]);
    assert_eq!(draw_page::analyse(&format::spec_json(&d.to_spec())).unwrap().removed, vec![3]);
    // A vertex with no way to the output is pruned too.
    let mut d = Draft::minimal();
    let v = d.add_vertex(Op::MaxPool3x3).unwrap();
    d.toggle_edge(0, v).unwrap();
    assert_eq!(d.pruned_away(), vec![v]);
    // Disconnected input: nothing is marked, the cell is invalid instead.
    d.toggle_edge(0, 2).unwrap();
    assert!(d.pruned_away().is_empty());
    assert!(draw_page::analyse(&format::spec_json(&d.to_spec())).is_err());
    assert_eq!(d.remove_vertex(0), Err(EditError::Endpoint));
    assert_eq!(d.remove_vertex(2), Err(EditError::Endpoint));
}

#[wasm_bindgen_test]
fn at_most_seven_vertices_and_interior_ops_only() {
    let mut d = readme_by_edits();
    assert_eq!(d.add_vertex(Op::Conv3x3), Err(EditError::Full));
    assert_eq!(d.set_op(0, Op::Conv1x1), Err(EditError::Endpoint));
    assert_eq!(d.set_op(2, Op::Output), Err(EditError::NotInterior("output")));
}

#[wasm_bindgen_test]
fn taps_select_then_toggle() {
    assert_eq!(tap(None, 3), TapOutcome::Selected(3));
    assert_eq!(tap(Some(3), 3), TapOutcome::Deselected);
    assert_eq!(tap(Some(3), 1), TapOutcome::ToggleEdge(3, 1));
}

#[wasm_bindgen_test]
fn the_url_round_trips_the_spec() {
    for (_, json) in draw_page::PRESETS {
        let text = draw_page::preset_text(json);
        let spec = CellSpec::from_json_str(&text).unwrap();
        let d = Draft::from_spec(&spec).unwrap();
        assert_eq!(d.to_spec(), spec, "every preset can be drawn");
        let url = draw_url(&text);
        let code = url.strip_prefix("/draw?cell=").unwrap();
        assert!(code.len() <= 12 && !code.contains(['%', '&', '#']), "{code}");
        assert_eq!(Draft::from_code(code).unwrap(), d);
        assert_eq!(draw_page::text_of_query(Some(code.into()), None), Some(Ok(text)));
    }
    let readme = draw_page::preset_text(draw_page::PRESETS[0].1);
    assert_eq!(draw_url(&readme), "/draw?cell=1333m-1d0463");
    // JSON the drawing cannot show goes as compact JSON; text that is not JSON as it is.
    let eight = CellSpec::new(vec![vec![0; 8]; 8], vec!["input".into(); 8]);
    let json = serde_json::to_string(&eight).unwrap();
    let url = draw_url(&serde_json::to_string_pretty(&eight).unwrap());
    assert_eq!(percent_decode(url.strip_prefix("/draw?spec=").unwrap()).unwrap(), json);
    assert_eq!(percent_decode(draw_url("{ broken").strip_prefix("/draw?spec=").unwrap()).unwrap(), "{ broken");
    assert_eq!(percent_encode("a b&c"), String::from(js_sys::encode_uri_component("a b&c")), "same encoding as the browser's");
    // Broken codes say why.
    for bad in ["1333m", "1333mm1-1d0463", "1x-7", "13-7", "13-7g", "-3"] {
        assert!(Draft::from_code(bad).is_err(), "{bad}");
    }
    assert_eq!(percent_decode("%zz"), None);
    let lower = CellSpec::new(vec![vec![0, 1], vec![1, 0]], vec!["input".into(), "output".into()]);
    assert_eq!(Draft::from_spec(&lower), Err(DraftError::Entry(1, 0)));
}

fn adapter(description: &str, vendor: &str) -> AdapterInfo {
    AdapterInfo { vendor: vendor.into(), description: description.into(), backend: "webgpu".into(), ..AdapterInfo::default() }
}

#[wasm_bindgen_test]
fn the_model_of_this_adapter_comes_first() {
    let devices = [
        "NVIDIA H200 [vulkan] NVIDIA 580.159.04 (h200-vulkan)",
        "llvmpipe (LLVM 15.0.6, 256 bits) [vulkan] Mesa 22.3.6 (lavapipe)",
        "SwiftShader Device (Subzero) [webgpu] (swiftshader-chromium)",
    ];
    let swiftshader = adapter("SwiftShader Device (Subzero)", "google");
    assert!(match_score(&swiftshader, devices[2]) >= 2);
    assert_eq!(match_score(&swiftshader, devices[0]), 0);
    assert_eq!(order(Some(&swiftshader), &devices), vec![2, 0, 1]);
    assert_eq!(order(Some(&adapter("NVIDIA H200", "nvidia")), &devices), vec![0, 1, 2]);
    assert_eq!(order(Some(&adapter("Mali-G710", "arm")), &devices), vec![0, 1, 2], "no match keeps the file order");
    assert_eq!(order(None, &devices), vec![0, 1, 2]);
}

#[wasm_bindgen_test]
fn filters_select_by_op_counts_and_latency() {
    let cells: Vec<_> = ANCHOR_CODES.iter().map(|&c| decode(c).unwrap().cell).collect();
    let ops: Vec<[u8; 3]> = cells.iter().map(op_counts).collect();
    for (c, o) in cells.iter().zip(&ops) {
        assert_eq!(o.iter().map(|&k| k as usize).sum::<usize>(), c.num_vertices() - 2);
    }
    let lat: Vec<f32> = (0..cells.len()).map(|i| 1.0 + i as f32).collect();
    assert_eq!(Filter::default().select(&ops, &lat).len(), cells.len());
    let f = Filter { ops: [None, None, Some(0)], min_ms: Some(3.0), max_ms: Some(12.0) };
    let kept = f.select(&ops, &lat);
    let expect: Vec<u32> = (0..cells.len() as u32).filter(|&i| ops[i as usize][2] == 0 && (3.0..=12.0).contains(&lat[i as usize])).collect();
    assert_eq!(kept, expect);
    assert!(!kept.is_empty() && kept.len() < cells.len());
}

#[wasm_bindgen_test]
fn binning_histogram_front_and_nearest() {
    let xs = [20.0f32, 200.0, 2000.0, 2000.0, 50.0];
    let ys = [2.0f32, 20.0, 200.0, 200.0, 0.0];
    let idx: Vec<u32> = (0..5).collect();
    let (x, y) = (LogAxis { lo: 10.0, hi: 10_000.0 }, LogAxis { lo: 1.0, hi: 1000.0 });
    let g = bin_grid(&xs, &ys, &idx, x, y, 3, 3);
    // Log axes in thirds: (20, 2) bottom left, (200, 20) the middle, (2000, 200) top right twice;
    // the zero latency is not plotted.
    assert_eq!(g, vec![0, 0, 2, 0, 1, 0, 1, 0, 0]);
    assert_eq!(histogram(&ys, &idx, y, 3), vec![1, 1, 2]);
    // Pareto front of more parameters and lower latency, ordered by latency: cell 1 (3 ms) is
    // beaten by cell 2 (2 ms, more parameters), cell 3 by cell 4; the tie at 1 ms keeps the
    // larger; a zero latency is not a prediction.
    let params = [1.0f32, 2.0, 3.0, 4.0, 5.0, 0.5, 9.0];
    let lat = [1.0f32, 3.0, 2.0, 6.0, 5.0, 1.0, 0.0];
    let all: Vec<u32> = (0..7).collect();
    let front = capacity_front(&params, &lat, &all);
    assert_eq!(front, vec![0, 2, 4]);
    assert_eq!(capacity_front(&params, &lat, &[1, 3]), vec![1, 3]);
    // The largest cell under a budget: under 4 ms cell 2, under 1.5 ms cell 0, nothing under 0.5 ms.
    assert_eq!(largest_under(&front, &lat, 4.0), Some(2));
    assert_eq!(largest_under(&front, &lat, 1.5), Some(0));
    assert_eq!(largest_under(&front, &lat, 0.5), None);
    // Budgets at quantiles of the positive latencies (1, 1, 2, 3, 5, 6), to 2 digits, no repeats.
    assert_eq!(budgets(&lat, &all, &[0.0, 0.1, 0.5, 1.0]), vec![1.0, 3.0, 6.0]);
    let b = budgets(&[1234.0, 0.0567], &[0, 1], &[0.0, 1.0]);
    assert!(b.len() == 2 && (b[0] - 0.057).abs() < 1e-6 && b[1] == 1200.0, "{b:?}");
    assert!(budgets(&lat, &[6], &[0.5]).is_empty());
    // The point nearest the middle of a 300 x 300 plot is (200, 20), 28 px away at (130, 170);
    // among the first and the third, (2000, 200), 113 px away: found within 120 px, while
    // within 40 px the middle is empty space and a click there finds nothing.
    let area = PlotArea { x, y, w: 300.0, h: 300.0 };
    assert_eq!(nearest(&xs, &ys, &idx, area, 150.0, 150.0, 40.0), Some(1));
    assert_eq!(nearest(&xs, &ys, &[0, 2], area, 150.0, 150.0, 120.0), Some(2));
    assert_eq!(nearest(&xs, &ys, &[0, 2], area, 150.0, 150.0, 40.0), None);
}

#[wasm_bindgen_test]
fn hash_search_finds_by_prefix() {
    let entries: Vec<_> = ANCHOR_CODES.iter().map(|&c| decode(c).unwrap()).collect();
    let hashes: Vec<_> = entries.iter().map(|e| e.hash).collect();
    let hex = hashes[7].to_hex();
    assert_eq!(hash_query(&format!("  {} ", hex[..10].to_uppercase())), Some(hex[..10].to_string()));
    assert_eq!(hash_query("28c"), None);
    assert_eq!(hash_query("28cg1234"), None);
    assert_eq!(find_hash(&hashes, &hex, 10), vec![7]);
    assert!(find_hash(&hashes, &hex[..4], 10).contains(&7));
}

#[wasm_bindgen_test]
fn the_worker_functions_predict_and_cost_every_cell() {
    let entries: Vec<_> = ANCHOR_CODES.iter().map(|&c| decode(c).unwrap()).collect();
    let space = pack(&entries, true);
    let model_json = include_bytes!("../trained/h200-vulkan.model.json");
    let model = Model::from_json_bytes(model_json).unwrap();
    let ms = space_worker_api::predict_space(model_json, &space).map_err(|_| "predict_space failed").unwrap().to_vec();
    assert_eq!(ms.len(), entries.len());
    for (e, m) in entries.iter().zip(&ms) {
        assert_eq!(*m, model.predict(&e.cell).unwrap().ms as f32);
    }
    let costs = space_worker_api::space_costs(&space).map_err(|_| "space_costs failed").unwrap();
    let get = |k: &str| js_sys::Float32Array::from(js_sys::Reflect::get(&costs, &k.into()).unwrap()).to_vec();
    let (macs, params) = (get("macs"), get("params"));
    for (i, e) in entries.iter().enumerate() {
        let c = Cost::of(&build(&e.cell, &NetConfig::default()));
        assert_eq!(macs[i], c.macs as f32);
        assert_eq!(params[i], c.trainable_parameters as f32);
    }
    assert!(space_worker_api::predict_space(b"{}", &space).is_err());
    assert!(space_worker_api::predict_space(model_json, &space[..10]).is_err());
}

#[wasm_bindgen_test]
fn plot_ticks_are_round_and_fit() {
    use leti::app::explore_plots::{tick_label, ticks};
    assert_eq!(tick_label(3e8), "300M");
    assert_eq!(tick_label(1e7), "10M");
    assert_eq!(tick_label(0.5), "0.5");
    assert_eq!(tick_label(2000.0), "2k");
    let a = LogAxis { lo: 0.4, hi: 12.0 };
    assert_eq!(ticks(a, 1000.0).iter().map(|&v| tick_label(v)).collect::<Vec<_>>(), ["0.5", "1", "2", "5", "10"]);
    assert_eq!(ticks(a, 100.0).iter().map(|&v| tick_label(v)).collect::<Vec<_>>(), ["1", "10"]);
    // The covering axis holds every value, with room at both ends.
    let c = LogAxis::covering(&[0.5, 3.0, 11.0, 0.0, f32::NAN]);
    assert!(c.lo < 0.5 && c.lo > 0.3 && c.hi > 11.0 && c.hi < 16.0, "{c:?}");
}

#[wasm_bindgen_test]
fn the_space_splits_into_worker_slices_that_concatenate_back() {
    use leti::app::explore_data::split_packed;
    use leti::space::unpack;
    let entries: Vec<_> = ANCHOR_CODES.iter().map(|&c| decode(c).unwrap()).collect();
    let cells: Vec<_> = entries.iter().map(|e| e.cell).collect();
    let codes: Vec<_> = entries.iter().map(|e| e.code).collect();
    for n in [1, 3, 6, 40] {
        let chunks = split_packed(&cells, &codes, n);
        assert!(chunks.len() <= n && !chunks.is_empty());
        let back: Vec<_> = chunks.iter().flat_map(|c| unpack(c).unwrap().cells).collect();
        assert_eq!(back, cells, "{n} slices");
    }
    let model_json = include_bytes!("../trained/h200-vulkan.model.json");
    let whole = space_worker_api::predict_space(model_json, &pack(&entries, false)).map_err(|_| "predict").unwrap().to_vec();
    let parts: Vec<f32> =
        split_packed(&cells, &codes, 3).iter().flat_map(|c| space_worker_api::predict_space(model_json, c).map_err(|_| "predict").unwrap().to_vec()).collect();
    assert_eq!(parts, whole);
}

#[wasm_bindgen_test]
fn measured_cells_are_matched_to_their_predictions_by_hash() {
    use leti::app::explore_data::measured_vs_predicted;
    let entries: Vec<_> = ANCHOR_CODES.iter().map(|&c| decode(c).unwrap()).collect();
    let hashes: Vec<_> = entries.iter().map(|e| e.hash).collect();
    let predicted: Vec<f32> = (0..entries.len()).map(|i| 1.0 + i as f32).collect();
    let other = leti::space::ModuleHash([7; 16]);
    let pairs = measured_vs_predicted(&[(hashes[4], 9.5), (other, 1.0), (hashes[0], 2.0)], &hashes, &predicted);
    // In space order; a hash not in the space is left out.
    assert_eq!(pairs, vec![(1.0, 2.0), (5.0, 9.5)]);
}

#[wasm_bindgen_test]
fn formatting_helpers() {
    assert_eq!(format::thousands(0), "0");
    assert_eq!(format::thousands(999), "999");
    assert_eq!(format::thousands(423_624), "423,624");
    assert_eq!(format::thousands(1_234_567), "1,234,567");
    assert_eq!(format::ms(850.4), "850 ms");
    assert_eq!(format::ms(12.34), "12.3 ms");
    assert_eq!(format::ms(2.781), "2.78 ms");
    assert_eq!(format::duration(44_600.0), "45 s");
    assert_eq!(format::duration(125_000.0), "2 min 05 s");
    assert_eq!(format::human_bytes(268_435_456.0), "256 MiB");
    assert_eq!(format::human_bytes(1536.0), "1.5 KiB");
    assert_eq!(format::pct(0.876), "88%");
    assert_eq!(format::mib(3 * 1024 * 1024 / 2), "1.50 MiB");
}

#[wasm_bindgen_test]
fn latency_filter_as_typed() {
    use leti::app::explore_page::filter_of;
    let f = filter_of([None, Some(2), None], " 3 ", "12.5").unwrap();
    assert_eq!((f.ops, f.min_ms, f.max_ms), ([None, Some(2), None], Some(3.0), Some(12.5)));
    assert_eq!(filter_of([None; 3], "", "").unwrap().min_ms, None);
    assert!(filter_of([None; 3], "abc", "").unwrap_err().contains("not a latency"));
    assert!(filter_of([None; 3], "-1", "").is_err());
    let empty = filter_of([None; 3], "20", "10").unwrap_err();
    assert!(empty.contains("from 20 ms is above to 10 ms"), "{empty}");
    assert!(filter_of([None; 3], "10", "10").is_ok(), "a one-value range is fine");
}

#[wasm_bindgen_test]
fn edits_are_judged_by_the_cell_rules() {
    let readme = CellSpec::from_json_str(draw_page::PRESETS[0].1).unwrap();
    let mut d = Draft::from_spec(&readme).unwrap();
    assert_eq!(verdict(&d), Verdict::Valid);
    // The README cell has 9 edges: a 10th (1 -> 2) breaks the limit and is refused.
    assert!(d.toggle_edge(1, 2).unwrap());
    assert!(matches!(verdict(&d), Verdict::Refused(why) if why.contains("10 edges")));
    // Input joined to output, that edge removed: not a cell yet, but drawing can fix it.
    let mut m = Draft::minimal();
    assert!(!m.toggle_edge(0, 1).unwrap());
    assert!(matches!(verdict(&m), Verdict::Incomplete(why) if why.contains("not connected")));
}

#[wasm_bindgen_test]
fn explore_view_round_trips_through_the_address() {
    use leti::app::explore_data::ExploreView;
    let read = |url: &str| {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let pairs: Vec<(String, String)> =
            query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap()).map(|(k, v)| (k.to_string(), percent_decode(v).unwrap())).collect();
        ExploreView::from_query(|k| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
    };
    assert_eq!(ExploreView::default().url(), "/explore");
    let v = ExploreView { model: Some("this device".into()), ops: [Some(2), None, Some(0)], min_text: "1.5".into(), max_text: String::new() };
    assert_eq!(v.url(), "/explore?model=this%20device&conv3=2&pool=0&min=1.5");
    assert_eq!(read(&v.url()), v);
    // What is not understood keeps its default.
    assert_eq!(read("/explore?conv3=9&pool=x&model="), ExploreView::default());
}

#[wasm_bindgen_test]
fn undo_and_redo_follow_the_pages_own_history() {
    let mut h = EditHistory::default();
    assert!(!h.can_undo() && !h.can_redo());
    // Two edits: a -> b -> c.
    h.pushed("a".into());
    h.pushed("b".into());
    assert!(h.can_undo() && !h.can_redo());
    // Back to b, back to a: nothing more to undo, two to redo.
    h.moved("c".into(), "b");
    h.moved("b".into(), "a");
    assert!(!h.can_undo() && h.can_redo());
    // Forward to b: one each way; a new edit there drops what was undone.
    h.moved("a".into(), "b");
    assert!(h.can_undo() && h.can_redo());
    h.pushed("b".into());
    assert!(h.can_undo() && !h.can_redo());
    // Going anywhere else (a link, a jump) forgets the page's own steps.
    h.moved("d".into(), "z");
    assert_eq!(h, EditHistory::default());
}
