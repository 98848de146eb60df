//! ONNX export of a network: the IR ([`crate::net`]) with the seeded weights the engine runs
//! ([`Weights::seeded`], batch norm already folded), as an opset-17 model with one float32
//! NCHW input named [`INPUT_NAME`] and the logits ([`OUTPUT_NAME`], batch x classes) out.
//!
//! Each IR layer becomes: Conv → `Conv` (explicit "same" pads, bias) + `Relu`; MaxPool →
//! `MaxPool` with TensorFlow "same" pads, which may be larger after than before; Truncate →
//! `Slice` on the channel axis (int64 `starts`/`ends`/`axes` initializers); Add → `Sum`;
//! Concat → `Concat` on axis 1; GlobalAvgPool → `GlobalAveragePool`; Dense → `Flatten` +
//! `Gemm` (`transB = 1`: the weights stay `w[out][in]`). Conv weights keep the engine's
//! `w[co][ci][ky][kx]` layout, which is ONNX's OIHW.

use prost::Message;

use super::onnx_proto::{
    AttributeProto, AttributeType, DataType, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TensorTypeProto,
    TypeProto, ValueInfoProto,
};
use super::weights::{LayerWeights, Weights};
use crate::net::{same_pad_before, Layer, LayerKind, Net, Shape, TensorId};
use crate::space::Cell;

/// The ONNX operator set the model imports.
pub const OPSET: i64 = 17;
/// The IR version that goes with opset 17.
const IR_VERSION: i64 = 8;
/// The name of the graph input: the image batch, NCHW float32.
pub const INPUT_NAME: &str = "input";
/// The name of the graph output: the logits, batch x classes float32.
pub const OUTPUT_NAME: &str = "logits";

/// The file name a cell's export is offered under: `cell-<first 8 hex digits of its hash>.onnx`.
pub fn file_name(cell: &Cell) -> String {
    format!("cell-{}.onnx", &cell.hash().to_hex()[..8])
}

/// The ONNX model (protobuf bytes) of `net` with the weights `Weights::seeded(net, seed)`.
pub fn export(net: &Net, seed: u64) -> Vec<u8> {
    let weights = Weights::seeded(net, seed);
    let mut graph = GraphWriter { net, nodes: Vec::new(), initializers: Vec::new() };
    for layer in &net.layers {
        graph.layer(layer, &weights);
    }
    let input = net.tensors[net.input].shape;
    let logits = net.tensors[net.output].shape;
    let cell = serde_json::to_string(&net.cell).expect("a cell spec serialises");
    let config = serde_json::to_string(&net.config).expect("a network config serialises");
    let model = ModelProto {
        ir_version: Some(IR_VERSION),
        producer_name: Some("leti".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        doc_string: Some(format!(
            "NAS-Bench-101 network of cell {cell}, network {config}; seeded weights (seed {seed}), batch norm folded into the convolutions"
        )),
        graph: Some(GraphProto {
            node: graph.nodes,
            name: Some(format!("cell_{}", net.cell().hash().to_hex())),
            initializer: graph.initializers,
            doc_string: None,
            input: vec![float_value(INPUT_NAME, &[input.n, input.c, input.h, input.w])],
            output: vec![float_value(OUTPUT_NAME, &[logits.n, logits.c])],
        }),
        opset_import: vec![OperatorSetIdProto { domain: Some(String::new()), version: Some(OPSET) }],
    };
    model.encode_to_vec()
}

/// A float32 graph input or output of fixed shape.
fn float_value(name: &str, dims: &[usize]) -> ValueInfoProto {
    let dim = dims.iter().map(|&d| Dimension { dim_value: Some(d as i64) }).collect();
    let tensor_type = TensorTypeProto { elem_type: Some(DataType::Float as i32), shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto { name: Some(name.into()), r#type: Some(TypeProto { tensor_type: Some(tensor_type) }) }
}

/// An integer attribute.
fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: Some(name.into()), i: Some(i), ints: Vec::new(), r#type: Some(AttributeType::Int as i32) }
}

/// An integer-list attribute.
fn ints_attr(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto { name: Some(name.into()), i: None, ints, r#type: Some(AttributeType::Ints as i32) }
}

/// A float32 initializer, stored as little-endian raw data.
fn float_tensor(name: String, dims: &[usize], values: &[f32]) -> TensorProto {
    debug_assert_eq!(dims.iter().product::<usize>(), values.len());
    TensorProto {
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        int64_data: Vec::new(),
        name: Some(name),
        raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

/// A one-dimensional int64 initializer.
fn int64_tensor(name: String, values: Vec<i64>) -> TensorProto {
    TensorProto { dims: vec![values.len() as i64], data_type: Some(DataType::Int64 as i32), int64_data: values, name: Some(name), raw_data: None }
}

/// ONNX `pads` (`[top, left, bottom, right]`) for TensorFlow "same" padding of a k x k window
/// with `stride` over `input`: the smaller half of each total before, the rest after.
fn same_pads(input: Shape, k: usize, stride: usize) -> Vec<i64> {
    let total = |n: usize| ((n.div_ceil(stride) - 1) * stride + k).saturating_sub(n);
    let (top, left) = (same_pad_before(input.h, k, stride), same_pad_before(input.w, k, stride));
    [top, left, total(input.h) - top, total(input.w) - left].map(|p| p as i64).to_vec()
}

/// The nodes and initializers of the graph being written.
struct GraphWriter<'a> {
    net: &'a Net,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl GraphWriter<'_> {
    /// The value name of an IR tensor: the graph input and output by their fixed names, any
    /// other tensor by the (unique) name of the layer that writes it.
    fn value(&self, tensor: TensorId) -> String {
        match self.net.tensors[tensor].producer {
            _ if tensor == self.net.output => OUTPUT_NAME.into(),
            None => INPUT_NAME.into(),
            Some(layer) => self.net.layers[layer].name.clone(),
        }
    }

    fn node(&mut self, op: &str, name: String, inputs: Vec<String>, output: String, attribute: Vec<AttributeProto>) {
        self.nodes.push(NodeProto { input: inputs, output: vec![output], name: Some(name), op_type: Some(op.into()), attribute });
    }

    /// Appends the nodes (and initializers) of one IR layer.
    fn layer(&mut self, layer: &Layer, weights: &Weights) {
        let inputs: Vec<String> = layer.inputs.iter().map(|&t| self.value(t)).collect();
        let out = self.value(layer.output);
        let name = layer.name.clone();
        match layer.kind {
            LayerKind::Conv { .. } => self.conv(layer, weights.layer(layer.id), inputs, out),
            LayerKind::MaxPool { k, stride } => {
                let input = self.net.tensors[layer.inputs[0]].shape;
                let attrs = vec![
                    ints_attr("kernel_shape", vec![k as i64; 2]),
                    ints_attr("strides", vec![stride as i64; 2]),
                    ints_attr("pads", same_pads(input, k, stride)),
                ];
                self.node("MaxPool", name, inputs, out, attrs);
            }
            LayerKind::Truncate { c_out } => {
                let bounds = [("starts", 0), ("ends", c_out as i64), ("axes", 1)];
                let mut slice_inputs = inputs;
                for (what, v) in bounds {
                    let tensor = format!("{name}/{what}");
                    self.initializers.push(int64_tensor(tensor.clone(), vec![v]));
                    slice_inputs.push(tensor);
                }
                self.node("Slice", name, slice_inputs, out, Vec::new());
            }
            LayerKind::Add => self.node("Sum", name, inputs, out, Vec::new()),
            LayerKind::Concat => self.node("Concat", name, inputs, out, vec![int_attr("axis", 1)]),
            LayerKind::GlobalAvgPool => self.node("GlobalAveragePool", name, inputs, out, Vec::new()),
            LayerKind::Dense { .. } => self.dense(layer, weights.layer(layer.id), inputs, out),
        }
    }

    /// Conv with explicit "same" pads and the folded bias, then ReLU.
    fn conv(&mut self, layer: &Layer, lw: &LayerWeights, mut inputs: Vec<String>, out: String) {
        let name = &layer.name;
        let input = self.net.tensors[layer.inputs[0]].shape;
        let (w, b) = (format!("{name}/W"), format!("{name}/B"));
        self.initializers.push(float_tensor(w.clone(), &[lw.c_out, lw.c_in, lw.k, lw.k], &lw.w));
        self.initializers.push(float_tensor(b.clone(), &[lw.c_out], &lw.bias));
        inputs.extend([w, b]);
        let k = lw.k as i64;
        let attrs = vec![ints_attr("kernel_shape", vec![k, k]), ints_attr("strides", vec![1, 1]), ints_attr("pads", same_pads(input, lw.k, 1))];
        let pre = format!("{name}/conv");
        self.node("Conv", pre.clone(), inputs, pre.clone(), attrs);
        self.node("Relu", format!("{name}/relu"), vec![pre], out, Vec::new());
    }

    /// Flatten to batch x features, then `Gemm` with the weights as stored (`transB = 1`).
    fn dense(&mut self, layer: &Layer, lw: &LayerWeights, inputs: Vec<String>, out: String) {
        let name = &layer.name;
        let (flat, w, b) = (format!("{name}/flatten"), format!("{name}/W"), format!("{name}/B"));
        self.node("Flatten", flat.clone(), inputs, flat.clone(), vec![int_attr("axis", 1)]);
        self.initializers.push(float_tensor(w.clone(), &[lw.c_out, lw.c_in], &lw.w));
        self.initializers.push(float_tensor(b.clone(), &[lw.c_out], &lw.bias));
        self.node("Gemm", name.clone(), vec![flat, w, b], out, vec![int_attr("transB", 1)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_pads_put_the_odd_pixel_after() {
        // 3x3 stride 1: one each side; 2x2 stride 2 over 15: total 1, all after; over 16: none.
        assert_eq!(same_pads(Shape::new(1, 4, 32, 32), 3, 1), vec![1, 1, 1, 1]);
        assert_eq!(same_pads(Shape::new(1, 4, 15, 16), 2, 2), vec![0, 0, 1, 0]);
        assert_eq!(same_pads(Shape::new(1, 4, 8, 8), 1, 1), vec![0, 0, 0, 0]);
    }
}
