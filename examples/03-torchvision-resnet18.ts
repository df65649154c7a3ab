/**
 * Example 3 — load a torchvision ResNet-18 state dict from safetensors, classify, export ONNX.
 *
 *   # in Python, once:  from safetensors.torch import save_file; import torchvision
 *   #   save_file(torchvision.models.resnet18(weights="DEFAULT").state_dict(), "resnet18.safetensors")
 *   npx tsx 03-torchvision-resnet18.ts resnet18.safetensors cat.jpg dog.png --onnx resnet18.onnx
 *   npx tsx 03-torchvision-resnet18.ts resnet18.safetensors --input batch.safetensors
 *
 * skiplab's ResNet-18 has torchvision's attribute names (conv1, bn1, layer1.0.conv1, …, fc), so
 * the state dict loads as it is (strict: a missing or unexpected key is an error). Images are
 * prepared as torchvision's ImageNet recipe: Resize(256), CenterCrop(224), scale to [0, 1],
 * Normalize(mean, std). `--input` takes a batch you prepared yourself (the tensor `input`,
 * (N, 3, H, W) float32), e.g. to compare with PyTorch on the very same numbers.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  centerCrop, createModel, decodeImage, exportOnnx, loadSafetensors, noGrad, nn, resizeShorterSide, Tensor, toChannels,
} from 'skiplab';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { input: { type: 'string' }, onnx: { type: 'string' }, size: { type: 'string', default: '224' } },
});
const [weightsPath, ...imagePaths] = positionals;
if (!weightsPath || (imagePaths.length === 0 && !values.input)) {
  throw new Error('usage: 03-torchvision-resnet18.ts WEIGHTS.safetensors (IMAGE... | --input BATCH.safetensors) [--onnx OUT.onnx]');
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** One image file → (3, size, size) floats, normalised as torchvision's ImageNet models expect. */
function preprocess(path: string, size: number): Float32Array {
  const rgb = toChannels(decodeImage(readFileSync(path), path), 3);
  const image = centerCrop(resizeShorterSide(rgb, Math.round((size * 256) / 224)), size, size); // (size, size, 3) bytes
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < size * size; p++) out[c * size * size + p] = (image.data[p * 3 + c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

/** The batch to classify: the images, or the tensor `input` of a safetensors file. */
async function inputBatch(): Promise<Tensor> {
  if (values.input) {
    const { input } = await loadSafetensors(values.input);
    if (!input) throw new Error(`${values.input}: no tensor named 'input'`);
    return input;
  }
  const size = Number(values.size);
  const data = new Float32Array(imagePaths.length * 3 * size * size);
  imagePaths.forEach((path, n) => data.set(preprocess(path, size), n * 3 * size * size));
  return new Tensor(data, [imagePaths.length, 3, size, size]); // (N, 3, H, W)
}

const model = createModel('resnet18'); // 1000 ImageNet classes
model.loadStateDict(await loadSafetensors(weightsPath), { source: weightsPath });
model.eval(); // batch norm uses its running statistics

const x = await inputBatch();
const logits = noGrad(() => model.forward(x)); // (N, 1000)
const probabilities = nn.functional.softmax(logits, 1).toFloat32Array();
const classes = logits.shape[1]!;
for (let n = 0; n < x.shape[0]!; n++) {
  const row = logits.toFloat32Array().subarray(n * classes, (n + 1) * classes);
  const top5 = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!).slice(0, 5);
  const name = imagePaths[n] ?? `input ${n}`;
  console.log(`${name}: ${top5.map((k) => `class ${k} (logit ${row[k]!.toFixed(4)}, p ${probabilities[n * classes + k]!.toFixed(4)})`).join(', ')}`);
}

if (values.onnx) {
  // Traced in eval mode at this batch; the file's batch axis is symbolic.
  const summary = await exportOnnx(model, x, values.onnx);
  console.log(`wrote ${values.onnx}: ${Object.values(summary.nodeCounts).reduce((a, b) => a + b, 0)} nodes, output (batch, ${summary.outputShape.slice(1).join(', ')})`);
}
