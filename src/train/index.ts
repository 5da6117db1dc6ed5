// oneprompt/train: training from the same graph. Reverse-mode autodiff on the IR (each op's vjp), one ONNX
// training-step model run by ONNX Runtime, or the tfjs executor with tfjs autodiff; the loop, Adam, schedules,
// checkpoints, and a registry of named tasks the `train` command knows. Node-only.
export { gradients, AutodiffError, type GradientOptions } from '../autodiff/grad.js';
export { runTrainingJob, TrainJobError, type TrainJobOptions, type TrainJobResult, type TrainBackend } from './run.js';
export { registerTask, getTask, taskNames, type TrainTask, type TrainModel, type TrainData } from './task.js';
export { train, type TrainOptions, type TrainResult, type NextBatch, type StepReport } from './loop.js';
export { TfjsEngine, type TrainEngine, type Batch, type EngineStepReport } from './engine.js';
export { OrtEngine, trainingStepModel } from './ort/engine.js';
export { buildTrainingStep, type TrainingStep, type TrainingStepSpec } from './ort/step-graph.js';
export { segmentationLoss, diceScore, type LossWeights } from './loss.js';
export { Adam, type AdamConfig } from './adam.js';
export { warmupCosine, constantLr, type LrSchedule } from './schedule.js';
export { saveCheckpoint, loadCheckpoint, loadWeights } from './checkpoint.js';
export { averageWeights, writeAveragedWeights } from './average-weights.js';
export { loadInitialWeights } from './init-weights.js';
export { useBackend, BACKEND_NAMES, type BackendName, type BackendInfo } from './tfjs/backend.js';
export { TfjsExecutor } from './tfjs/executor.js';
export { tfjsKernels } from './tfjs/kernels.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors } from '../util/safetensors.js';
