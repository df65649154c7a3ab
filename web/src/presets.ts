/**
 * The guided experiments: one per claim of the seed texts (../shared/seeds), each with the
 * paper's finding, what to expect, the runs that test it (settings chosen by measuring, recorded
 * in web/README.md), what each run measures, and the checks that turn the numbers into a verdict.
 */
import type { MeasureKind, RunResults } from './run-results.js';
import { defaultSettings, type LabSettings } from './settings.js';
import type { Check } from './verdict.js';
import * as judge from './preset-checks.js';

export interface PresetRun {
  /** Name of the run in the page ("plain-56"). */
  label: string;
  settings: LabSettings;
}

export interface Preset {
  id: string;
  title: string;
  /** The seed text's claim, quoted or closely paraphrased. */
  claim: string;
  /** The paper that measured it and what it found. */
  finding: string;
  /** What this preset should show, and how long it takes. */
  expect: string;
  runs: PresetRun[];
  /** Measured on each run once it has trained `settings.maxSteps` steps. */
  measure: MeasureKind | null;
  /** The checks, computed from the runs' results (in `runs` order). */
  judge(results: RunResults[]): Check[];
}

type Overrides = Partial<LabSettings> & Pick<LabSettings, 'architecture'>;

function run(label: string, seed: number, o: Overrides): PresetRun {
  return { label, settings: { ...defaultSettings(o.architecture), seed, ...o } };
}

/** The presets for a seed (every run of a preset shares it: same initial weights and batches). */
export function presets(seed = 1): Preset[] {
  return [
    {
      id: 'degradation',
      title: 'Degradation: deeper plain nets train worse',
      claim: 'A deeper plain network has higher training error than a shallower one — not overfitting, an optimisation failure — and skip connections remove it.',
      finding: 'He et al. 2015 §4.1–4.2 (Fig. 1, 6): plain-56 ends with higher training error than plain-20 on CIFAR-10; ResNet-56 trains to lower error than both.',
      expect: 'Three runs on the same batches: plain-20, plain-56 and ResNet-56 (4 channels wide, 300 Adam steps). Plain-56 should lag plain-20, ResNet-56 should lead plain-56. About 65 s on 2 cores (105 s without threads).',
      runs: [
        run('ResNet-56', seed, { architecture: 'resnet', depth: 56, width: 4, skip: 'identity', maxSteps: 300 }),
        run('plain-56', seed, { architecture: 'resnet', depth: 56, width: 4, skip: 'none', maxSteps: 300 }),
        run('plain-20', seed, { architecture: 'resnet', depth: 20, width: 4, skip: 'none', maxSteps: 300 }),
      ],
      measure: null,
      judge: ([residual, plainDeep, plainShallow]) => [
        judge.lowerTrainingLoss('He et al.: the 56-layer plain net trains to a higher loss than the 20-layer one (degradation).', plainShallow!, plainDeep!, 'plain-20', 'plain-56'),
        judge.lowerTrainingLoss('He et al.: with identity skips the 56-layer net trains to a lower loss than its plain twin.', residual!, plainDeep!, 'ResNet-56', 'plain-56'),
      ],
    },
    {
      id: 'vanishing-gradients',
      title: 'Vanishing gradients: skips give the gradient a path back',
      claim: 'As the gradient travels backward through a deep plain network it becomes smaller and smaller; skip connections provide an unbroken gradient flow from the last layer to the first.',
      finding: 'Glorot & Bengio 2010 §4.2 measured gradients shrinking towards the input of deep plain nets; Srivastava et al. 2015 §4.1 trained 50-layer highway nets where plain nets failed; He et al. 2015 §4.1 add that batch norm keeps a plain net\'s gradients healthy.',
      expect: 'Three 20-layer fully connected nets (32 units, PyTorch\'s default initialisation): plain without batch norm, plain with batch norm, and a highway net (gated skips) without it. Watch the gradient bars: the plain net\'s fall by decades towards the input, the others\' stay level. A few seconds.',
      runs: [
        run('plain, no batch norm', seed, { architecture: 'mlp', depth: 20, width: 32, batchNorm: false, maxSteps: 150 }),
        run('plain + batch norm', seed, { architecture: 'mlp', depth: 20, width: 32, batchNorm: true, maxSteps: 150 }),
        run('highway (skips)', seed, { architecture: 'highway', depth: 20, width: 32, skip: 'gated', maxSteps: 150 }),
      ],
      measure: 'gradients',
      judge: ([plain, normalized, highway]) => [
        judge.flatterGradients('Skip connections keep the gradient from vanishing on its way back to the first layers.', highway!, plain!, 'highway', 'plain'),
        judge.flatterGradients('He et al. §4.1: batch norm also keeps a plain net\'s gradients healthy.', normalized!, plain!, 'plain + batch norm', 'plain'),
      ],
    },
    {
      id: 'lesion',
      title: 'Lesion: delete one block',
      claim: 'Dropping single layers from a network with skip connections has much less effect than from a network without them.',
      finding: 'Veit et al. 2016 §4 (Fig. 3): deleting any single non-downsampling block of a trained ResNet-110 barely changes its CIFAR-10 error, while deleting a layer of a plain VGG net drops it to chance. Downsampling blocks are excluded from the claim.',
      expect: 'A ResNet-32 and its plain twin (4 channels wide, 300 Adam steps); then each of the 13 blocks that keep their input\'s shape is deleted in turn (y = x) and the test accuracy re-measured. About 40 s on 2 cores (65 s without threads).',
      runs: [
        run('ResNet-32', seed, { architecture: 'resnet', depth: 32, width: 4, skip: 'identity', maxSteps: 300 }),
        run('plain-32', seed, { architecture: 'resnet', depth: 32, width: 4, skip: 'none', maxSteps: 300 }),
      ],
      measure: 'lesion',
      judge: ([residual, plain]) => [judge.lesionRobustness(residual!, plain!)],
    },
    {
      id: 'landscape',
      title: 'Loss landscape: smooth with skips, rough without',
      claim: 'Skip connections make the loss surface smoother and easier to optimise.',
      finding: 'Li et al. 2018 §5 (Fig. 5): filter-normalised slices of ResNet-56 are smooth and nearly convex around the minimum; without skips the surface turns chaotic, with sharp non-convex regions, as depth grows.',
      expect: 'A ResNet-20 and its plain twin (8 wide, 300 Adam steps), then eight filter-normalised random directions through each trained net, 11 points from α = −1 to 1 on 250 test images. A rough slice rises and falls again on its way out from the minimum. About 80 s on 2 cores (2 minutes without threads). The verdict stays inconclusive at this depth: Li et al. find ResNet-20 and plain-20 both smooth, and the comparison with the numbers flips from seed to seed; the claim is about depth 56 and more, where a plain net needs far more than a minute to reach a minimum (200 steps leave plain-56 at 16–22 % test accuracy).',
      runs: [
        run('ResNet-20', seed, { architecture: 'resnet', depth: 20, width: 8, skip: 'identity', maxSteps: 300 }),
        run('plain-20', seed, { architecture: 'resnet', depth: 20, width: 8, skip: 'none', maxSteps: 300 }),
      ],
      measure: 'landscape',
      judge: ([residual, plain]) => [judge.smootherSlices(residual!, plain!, 20)],
    },
    {
      id: 'feature-reuse',
      title: 'DenseNet feature reuse',
      claim: 'DenseNets concatenate every earlier layer\'s feature maps, so deeper layers reuse features learned by early ones.',
      finding: 'Huang et al. 2017 §5 (Fig. 5): in a trained DenseNet every layer spreads its weights over many inputs of its block — features of very early layers are used directly by deep layers.',
      expect: 'A DenseNet-22 (three blocks of 6 layers, growth rate 4, 200 Adam steps). The heat maps show each layer\'s mean |weight| on each earlier layer (Huang\'s Fig. 5); the test then cuts every long connection (each layer keeps only its predecessor) and counts the test images it costs. About 50 s on 2 cores (80 s without threads).',
      runs: [run('DenseNet-22', seed, { architecture: 'densenet', depth: 22, width: 4, skip: 'concat', maxSteps: 200 })],
      measure: 'feature-reuse',
      judge: ([dense]) => [judge.featureReuse(dense!)],
    },
    {
      id: 'highway',
      title: 'Highway gates: depth 50 trains',
      claim: 'Skip connections with gates learn to regulate the flow of information to deeper layers, so very deep highway networks train.',
      finding: 'Srivastava et al. 2015 §4.1 (Fig. 1, 2): highway nets of 50 and 100 layers optimise as well as shallow ones while plain nets deeper than about 20 layers fail; the trained transform gates are mostly closed (carry) and vary with the input.',
      expect: 'A 50-layer highway net and its plain twin (50 units, 400 Adam steps). The plain net should stay at chance; the highway net learns, and its gates move from where they started. About 10 s on 2 cores (15 s without threads).',
      runs: [
        run('highway-50', seed, { architecture: 'highway', depth: 50, width: 50, skip: 'gated', maxSteps: 400 }),
        run('plain-50', seed, { architecture: 'highway', depth: 50, width: 50, skip: 'none', maxSteps: 400 }),
      ],
      measure: 'gates',
      judge: ([highway, plain]) => [
        judge.lowerTrainingLoss('Srivastava et al.: the 50-layer highway net trains to a lower loss than its plain twin.', highway!, plain!, 'highway-50', 'plain-50', 0.5),
        judge.gatesLearned(highway!),
      ],
    },
    {
      id: 'unet',
      title: 'U-Net long skips: where, not just what',
      claim: 'Long skip connections carry the encoder\'s high-resolution features to the decoder, recovering the spatial detail lost by downsampling.',
      finding: 'Ronneberger et al. 2015 §2: the contracting path\'s feature maps are concatenated into the expanding path for precise localisation.',
      expect: 'A 2-level U-Net (base width 8) with and without its long skips, 200 Adam steps on 32×32 canvases of real MNIST digits, per-pixel digit/background. Compare the overlap with the true digit shapes (IoU) and the accuracy on boundary pixels. About 25 s on 2 cores.',
      runs: [
        run('U-Net', seed, { architecture: 'unet', dataset: 'digit-segmentation', depth: 2, width: 8, skip: 'concat', maxSteps: 200 }),
        run('U-Net without long skips', seed, { architecture: 'unet', dataset: 'digit-segmentation', depth: 2, width: 8, skip: 'none', maxSteps: 200 }),
      ],
      measure: 'segmentation',
      judge: ([skips, plain]) => judge.segmentation(skips!, plain!),
    },
  ];
}

export const PRESET_IDS = presets().map((p) => p.id);

export function presetById(id: string, seed = 1): Preset {
  const preset = presets(seed).find((p) => p.id === id);
  if (!preset) throw new Error(`preset '${id}' is not one of ${PRESET_IDS.join(', ')}`);
  return preset;
}
