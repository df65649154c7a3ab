/**
 * Errors a user can fix — a wrong file, field, flag or URL — as opposed to bugs. Each user-facing
 * boundary throws its own subclass (ConfigError for a training config, DataError for a dataset
 * file, CheckpointError for weights, SpecError for an experiment spec, QueueError for Redis and
 * the job queue, ResultsError for a results.json, …), so a caller can tell a bad file from a bug:
 * the CLI prints a `UserInputError` as one line and anything else with its stack.
 */
export class UserInputError extends Error {
  override name = 'UserInputError';
}

/** A dataset file or folder is missing, unreadable or not what its format promises. */
export class DataError extends UserInputError {
  override name = 'DataError';
}

/** A weights or checkpoint file cannot be read or does not fit the model it is loaded into. */
export class CheckpointError extends UserInputError {
  override name = 'CheckpointError';
}
