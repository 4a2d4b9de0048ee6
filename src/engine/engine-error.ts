/** How much a note of the engine's matters: most say what it decided; a few are warnings, or a loud error. */
export type NoteLevel = "info" | "warn" | "error";
export type Note = (message: string, level?: NoteLevel) => void;

/** An engine failure whose message a user can act on; never carries a native stack to the user. */
export class EngineError extends Error {
  override name = "EngineError";
  /** True when the same search may well succeed if run again (a search thread died and was replaced). */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.retryable = options.retryable ?? false;
  }
}

/** The search was stopped by its caller before it found a nonce. */
export class SearchCancelled extends EngineError {
  override name = "SearchCancelled";
  /** Every nonce from the range's start up to this one was hashed before the stop; null when none had begun. */
  readonly searchedUpTo: bigint | null;

  constructor(searchedUpTo: bigint | null = null) {
    super("search cancelled");
    this.searchedUpTo = searchedUpTo;
  }
}

/** A VM hashed the known input wrongly: on a dataset read from a file, the file is the first suspect. */
export class SelfTestFailed extends EngineError {
  override name = "SelfTestFailed";
}

/** Every nonce of the range was hashed and none is valid. */
export class NoValidNonce extends EngineError {
  override name = "NoValidNonce";
}
