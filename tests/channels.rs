//! The network builder's channel split, truncation, projections and output assembly, checked
//! on the IR's structure (layer kinds, inputs and shapes), not only on counts.

mod common;

use common::spec;
use leti::net::{build, vertex_channels, Cost, Layer, LayerKind, Net, NetConfig, Role, Shape, Site};
use leti::space::{Cell, CellSpec};

const C3: &str = "conv3x3-bn-relu";
const C1: &str = "conv1x1-bn-relu";
const MP: &str = "maxpool3x3";

fn cell(s: CellSpec) -> Cell {
    s.validate().unwrap()
}

/// Layers of one cell (stack, cell index), in execution order.
fn cell_layers(net: &Net, stack: usize, c: usize) -> Vec<&Layer> {
    net.layers.iter().filter(|l| l.site == Some(Site { stack, cell: c })).collect()
}

fn layer<'a>(net: &'a Net, name: &str) -> &'a Layer {
    net.layers.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no layer {name}"))
}

fn out_shape(net: &Net, l: &Layer) -> Shape {
    net.tensors[l.output].shape
}

fn in_shape(net: &Net, l: &Layer, i: usize) -> Shape {
    net.tensors[l.inputs[i]].shape
}

/// 0 -> 1, 2, 3 -> 4: three output-feeding convs.
fn three_branches() -> Cell {
    cell(spec(&[&[0, 1, 1, 1, 0], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 0]], &["input", C3, C1, C3, "output"]))
}

#[test]
fn uneven_split_gives_the_remainder_to_the_first_vertices() {
    let c = three_branches();
    assert_eq!(vertex_channels(&c, 128, 128), vec![128, 43, 43, 42, 128]);
    assert_eq!(vertex_channels(&c, 128, 256), vec![128, 86, 85, 85, 256]);
    assert_eq!(vertex_channels(&c, 256, 512), vec![256, 171, 171, 170, 512]);

    let net = build(&c, &NetConfig::default());
    let s0 = cell_layers(&net, 0, 0);
    // Per vertex: projection then op; then the concat. No add (no input -> output edge).
    let kinds: Vec<LayerKind> = s0.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        vec![
            LayerKind::Conv { k: 1, c_in: 128, c_out: 43 },
            LayerKind::Conv { k: 3, c_in: 43, c_out: 43 },
            LayerKind::Conv { k: 1, c_in: 128, c_out: 43 },
            LayerKind::Conv { k: 1, c_in: 43, c_out: 43 },
            LayerKind::Conv { k: 1, c_in: 128, c_out: 42 },
            LayerKind::Conv { k: 3, c_in: 42, c_out: 42 },
            LayerKind::Concat,
        ]
    );
    let concat = s0[6];
    assert_eq!(concat.inputs, vec![s0[1].output, s0[3].output, s0[5].output], "concat in vertex order");
    assert_eq!(out_shape(&net, concat), Shape::new(1, 128, 32, 32));
    // First cell of stack 2 maps 128 -> 256 channels at 16 x 16, split 86/85/85.
    let s1 = cell_layers(&net, 1, 0);
    assert_eq!(s1[0].kind, LayerKind::Conv { k: 1, c_in: 128, c_out: 86 });
    assert_eq!(in_shape(&net, s1[0], 0), Shape::new(1, 128, 16, 16));
    assert_eq!(out_shape(&net, s1[6]), Shape::new(1, 256, 16, 16));
}

#[test]
fn truncation_appears_where_a_predecessor_has_one_more_channel() {
    // 0 -> 1; 1 -> 2, 3, 4; 2, 3, 4 -> 5; 0 -> 4. Output-feeding 2, 3, 4 get 43, 43, 42;
    // vertex 1 takes the largest of what it feeds (43), so 1 -> 4 needs a truncation to 42.
    let c = cell(spec(
        &[&[0, 1, 0, 0, 1, 0], &[0, 0, 1, 1, 1, 0], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 0]],
        &["input", C3, C1, MP, C3, "output"],
    ));
    assert_eq!(vertex_channels(&c, 128, 128), vec![128, 43, 43, 43, 42, 128]);
    let net = build(&c, &NetConfig::default());
    let trunc = layer(&net, "s0/c0/v4/truncate_v1");
    let v1 = layer(&net, "s0/c0/v1/conv3x3");
    assert_eq!(trunc.kind, LayerKind::Truncate { c_out: 42 });
    assert_eq!(trunc.role, Role::VertexTruncate { vertex: 4, from: 1 });
    assert_eq!(trunc.inputs, vec![v1.output]);
    assert_eq!(in_shape(&net, trunc, 0).c, 43);
    assert_eq!(out_shape(&net, trunc), Shape::new(1, 42, 32, 32));
    // Vertex 4 sums the truncated value and its projection, then applies its conv at 42.
    let proj = layer(&net, "s0/c0/v4/projection");
    assert_eq!(proj.kind, LayerKind::Conv { k: 1, c_in: 128, c_out: 42 });
    let add = layer(&net, "s0/c0/v4/add");
    assert_eq!(add.kind, LayerKind::Add);
    assert_eq!(add.inputs, vec![trunc.output, proj.output]);
    assert_eq!(layer(&net, "s0/c0/v4/conv3x3").kind, LayerKind::Conv { k: 3, c_in: 42, c_out: 42 });
    // Vertices 2 and 3 take vertex 1's 43 channels as they are: no truncation for them.
    assert!(net.layers.iter().all(|l| !l.name.starts_with("s0/c0/v2/truncate") && !l.name.starts_with("s0/c0/v3/truncate")));
    assert_eq!(layer(&net, "s0/c0/v3/maxpool3x3").inputs, vec![v1.output]);
    // Stack 2 splits 256 as 86/85/85 (vertex 1 has 86: vertices 3 and 4 truncate), stack 3
    // 512 as 171/171/170 (vertex 4 truncates): 3 x 1 + 3 x 2 + 3 x 1 truncations.
    assert_eq!(vertex_channels(&c, 128, 256), vec![128, 86, 86, 85, 85, 256]);
    assert_eq!(layer(&net, "s1/c0/v3/truncate_v1").kind, LayerKind::Truncate { c_out: 85 });
    assert_eq!(Cost::of(&net).layer_counts.truncate, 12);
    // A truncation is a view onto its source's storage.
    assert_eq!(net.storage_of(trunc.output), v1.output);
}

#[test]
fn two_vertex_cell_is_a_projection_only() {
    let c = cell(spec(&[&[0, 1], &[0, 0]], &["input", "output"]));
    let net = build(&c, &NetConfig::default());
    let kinds: Vec<String> = net.layers.iter().map(|l| l.kind.short_name()).collect();
    let mut expect = vec!["conv3x3"];
    for stack in 0..3 {
        if stack > 0 {
            expect.push("maxpool2x2");
        }
        expect.extend(["conv1x1"; 3]);
    }
    expect.extend(["global_avg_pool", "dense"]);
    assert_eq!(kinds, expect);
    let s1c0 = cell_layers(&net, 1, 0);
    assert_eq!(s1c0.len(), 1);
    assert_eq!(s1c0[0].kind, LayerKind::Conv { k: 1, c_in: 128, c_out: 256 });
    assert_eq!(s1c0[0].role, Role::Projection { vertex: 1 });
    assert_eq!(out_shape(&net, s1c0[0]), Shape::new(1, 256, 16, 16));
    // Worked by hand from the rules: conv kernels + 2 BN params per channel, dense + bias.
    let cost = Cost::of(&net);
    let conv = |k: u64, ci: u64, co: u64| k * k * ci * co + 2 * co;
    let params =
        conv(3, 3, 128) + 3 * conv(1, 128, 128) + conv(1, 128, 256) + 2 * conv(1, 256, 256) + conv(1, 256, 512) + 2 * conv(1, 512, 512) + 512 * 10 + 10;
    assert_eq!(cost.trainable_parameters, params);
    assert_eq!(cost.trainable_parameters, 882_570);
    assert_eq!(cost.macs, 137_761_792);
    assert_eq!(cost.layer_counts.projection, 9);
    assert_eq!(cost.layer_counts.conv1x1, 0);
}

#[test]
fn input_to_output_edge_adds_a_projection_to_the_concat() {
    // 0 -> 1, 2 -> 3 plus 0 -> 3.
    let c = cell(spec(&[&[0, 1, 1, 1], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]], &["input", MP, C1, "output"]));
    let net = build(&c, &NetConfig::default());
    let s0 = cell_layers(&net, 0, 1);
    let concat = layer(&net, "s0/c1/out/concat");
    let proj = layer(&net, "s0/c1/out/projection");
    let add = layer(&net, "s0/c1/out/add");
    assert_eq!(proj.kind, LayerKind::Conv { k: 1, c_in: 128, c_out: 128 });
    assert_eq!(proj.role, Role::Projection { vertex: 3 });
    assert_eq!(add.inputs, vec![concat.output, proj.output]);
    assert_eq!(out_shape(&net, add), Shape::new(1, 128, 32, 32));
    assert_eq!(s0.last().unwrap().name, "s0/c1/out/add", "the add is the cell's last layer");
    // The max-pool vertex keeps its 64 channels; it is fed by a projection to 64.
    let mp = layer(&net, "s0/c1/v1/maxpool3x3");
    assert_eq!(mp.kind, LayerKind::MaxPool { k: 3, stride: 1 });
    assert_eq!(in_shape(&net, mp, 0).c, 64);
    assert_eq!(out_shape(&net, mp).c, 64);
    // The next cell reads the add's output.
    assert_eq!(cell_layers(&net, 0, 2)[0].inputs, vec![add.output]);
}

#[test]
fn single_feeding_vertex_skips_the_concat() {
    // 0 -> 1 -> 2 -> 3 and 0 -> 3: the chain's last vertex carries all channels.
    let c = cell(spec(&[&[0, 1, 0, 1], &[0, 0, 1, 0], &[0, 0, 0, 1], &[0, 0, 0, 0]], &["input", C3, C3, "output"]));
    assert_eq!(vertex_channels(&c, 128, 256), vec![128, 256, 256, 256]);
    let net = build(&c, &NetConfig::default());
    assert_eq!(Cost::of(&net).layer_counts.concat, 0);
    let add = layer(&net, "s0/c0/out/add");
    assert_eq!(add.inputs[0], layer(&net, "s0/c0/v2/conv3x3").output);
}

#[test]
fn readme_cell_network_shape_and_order() {
    let net = build(&common::readme_cell().validate().unwrap(), &NetConfig::default());
    // Execution order: every layer reads only tensors produced earlier (or the input).
    for l in &net.layers {
        for &t in &l.inputs {
            assert!(t == net.input || net.tensors[t].producer.unwrap() < l.id, "{} reads a later tensor", l.name);
        }
    }
    assert_eq!(net.tensors[net.output].shape, Shape::new(1, 10, 1, 1));
    let downs: Vec<Shape> = net.layers.iter().filter(|l| l.role == Role::Downsample).map(|l| out_shape(&net, l)).collect();
    assert_eq!(downs, vec![Shape::new(1, 128, 16, 16), Shape::new(1, 256, 8, 8)]);
}
