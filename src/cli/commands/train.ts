import { join } from 'node:path';
import type { Command } from 'commander';
import { UserInputError } from '../../util/errors.js';
import { parseTrainConfig, type TrainConfigInput } from '../../train/config.js';
import { runTraining } from '../../train/run-training.js';
import { RunDirectory, RunStoreError } from '../../train/run-store.js';
import { RECIPES, trainConfigSchema, type RecipeName } from '../../train/config.js';
import { progressCallback } from '../progress.js';

interface TrainFlags {
  precision?: string;
  model: string;
  dataset: string;
  epochs: string;
  batchSize?: string;
  lr?: string;
  optimizer?: string;
  momentum?: string;
  weightDecay?: string;
  schedule?: string;
  augment?: string;
  seed?: string;
  trainSubset?: string;
  testSubset?: string;
  dataDir?: string;
  imageSize?: string;
  skip?: string;
  depth?: string;
  modelOptions?: string;
  runDir?: string;
  resume?: string;
  json?: boolean;
  recipe?: string;
}

const number = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

function parseModelOptionsFlag(text: string): Record<string, string | number | boolean> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--model-options '${text}' is not JSON (e.g. '{"width": 64}')`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`--model-options '${text}' must be a JSON object of option: value`);
  return value as Record<string, string | number | boolean>;
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model on a dataset and print its test accuracy')
    .option('--recipe <name>', `start from a named recipe (${Object.keys(RECIPES).join(', ')}); other options override it`)
    .option('--model <name>', 'model name from `skiplab models` (e.g. mlp, simple_convnet, resnet20)', 'mlp')
    .option('--dataset <name>', 'mnist | fashion-mnist | cifar10 | folder (your images: --data-dir of class folders)', 'mnist')
    .option('--epochs <n>', 'number of epochs (default 3, or the recipe\'s)')
    .option('--batch-size <n>', 'mini-batch size (default 128)')
    .option('--lr <rate>', 'learning rate (default 0.1)')
    .option('--optimizer <name>', 'sgd | adam | adamw (default sgd)')
    .option('--momentum <m>', 'SGD momentum (default 0.9)')
    .option('--weight-decay <wd>', 'weight decay (default 1e-4)')
    .option('--schedule <name>', 'constant | step | cosine (default cosine)')
    .option('--augment <name>', 'none | pad-crop | pad-crop-flip (default none)')
    .option('--seed <n>', 'seed for everything random (default 0)')
    .option('--precision <p>', 'fp32 (default) | bf16: convolutions and matrix products on bfloat16 operands, FP32 sums and master weights')
    .option('--train-subset <n>', 'train on a class-balanced subset of n images')
    .option('--test-subset <n>', 'evaluate on the first n test images')
    .option('--data-dir <dir>', 'folder of the CIFAR-10 binary batches, or of class folders of PNG/JPEG images')
    .option('--image-size <n>', 'side images of --dataset folder are resized and centre-cropped to (default 32)')
    .option('--skip <kind>', "'none' builds the plain twin of a skip model")
    .option('--depth <n>', 'depth for models that take one (resnet_cifar)')
    .option('--model-options <json>', 'more options for the model, as JSON (e.g. \'{"width": 64}\'; see `skiplab models`)')
    .option('--run-dir <dir>', 'keep config, metrics and checkpoints in this run folder')
    .option('--resume <runDir>', 'continue a run folder from its last complete checkpoint')
    .option('--json', 'print the final metrics as one JSON object on stdout')
    .action(async (flags: TrainFlags, command: Command) => {
      let config;
      let run: RunDirectory | undefined;
      if (flags.resume) {
        // A resumed run continues exactly as its config.json says; a flag that would change it
        // is refused rather than silently ignored.
        const given = command.options
          .filter((o) => !['resume', 'json'].includes(o.attributeName()) && command.getOptionValueSource(o.attributeName()) === 'cli')
          .map((o) => o.long!);
        if (given.length > 0) {
          throw new Error(`--resume continues ${flags.resume} exactly as its config.json describes; ${given.join(', ')} cannot change it (train a new run with --run-dir instead)`);
        }
        run = new RunDirectory(flags.resume);
        config = run.readConfig(trainConfigSchema);
        if (!run.hasCheckpoint()) throw new RunStoreError(`${join(flags.resume, 'checkpoint.safetensors')}: no checkpoint to resume from`);
      } else {
        const modelOptions = flags.modelOptions ? parseModelOptionsFlag(flags.modelOptions) : {};
        if (flags.skip) modelOptions.skip = flags.skip;
        if (flags.depth) modelOptions.depth = Number(flags.depth);
        if (flags.recipe && !(flags.recipe in RECIPES)) throw new UserInputError(`--recipe: unknown recipe '${flags.recipe}' (known: ${Object.keys(RECIPES).join(', ')})`);
        const recipe = flags.recipe ? RECIPES[flags.recipe as RecipeName] : { epochs: 3 };
        const input: TrainConfigInput = {
          model: flags.model, dataset: flags.dataset as TrainConfigInput['dataset'], epochs: number(flags.epochs) ?? recipe.epochs, modelOptions,
          batchSize: number(flags.batchSize), lr: number(flags.lr), optimizer: flags.optimizer as TrainConfigInput['optimizer'],
          momentum: number(flags.momentum), weightDecay: number(flags.weightDecay), schedule: flags.schedule as TrainConfigInput['schedule'],
          augment: flags.augment as TrainConfigInput['augment'], seed: number(flags.seed), trainSubset: number(flags.trainSubset),
          testSubset: number(flags.testSubset), dataDir: flags.dataDir, imageSize: number(flags.imageSize),
          precision: flags.precision as TrainConfigInput['precision'],
        };
        for (const key of Object.keys(input) as (keyof TrainConfigInput)[]) if (input[key] === undefined) delete input[key];
        // Given options override the recipe; options not given keep the recipe's values.
        config = parseTrainConfig({ ...recipe, ...input }, 'train options');
        if (flags.runDir) run = new RunDirectory(flags.runDir);
      }
      const progress = flags.json ? [] : [progressCallback(config.model, config.epochs)];
      const outcome = await runTraining(config, { run, callbacks: progress });
      const last = outcome.epochs[outcome.epochs.length - 1]!;
      const metrics = {
        model: config.model, dataset: config.dataset, epochs: outcome.epochs.length, steps: outcome.steps, parameters: outcome.parameterCount,
        trainLoss: last.trainLoss, trainAccuracy: 1 - last.trainError, testLoss: last.testLoss, testAccuracy: last.testError === undefined ? undefined : 1 - last.testError,
        seconds: outcome.seconds, resumed: outcome.resumed,
      };
      if (flags.json) process.stdout.write(JSON.stringify(metrics) + '\n');
      else process.stdout.write(`test accuracy ${(metrics.testAccuracy! * 100).toFixed(2)} % after ${metrics.epochs} epochs (${metrics.seconds.toFixed(1)} s)\n`);
    });
}
