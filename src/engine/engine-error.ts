/** An engine failure whose message a user can act on; never carries a native stack to the user. */
export class EngineError extends Error {
  override name = "EngineError";
}

/** The search was stopped by its caller before it found a nonce. */
export class SearchCancelled extends EngineError {
  override name = "SearchCancelled";
  constructor() {
    super("search cancelled");
  }
}
