export { TesseraVerifier, type TesseraClaims, type Verified, type Outcome, type TokenOutcome, type VerifierStatus, type RequestLike } from './verifier';
export type { VerifierOptions, VerifierEvent, FetchLike } from './options';
export { DEFAULT_MODEL_ROUTES } from './options';
export { expressVerifier, type ExpressMiddleware, type ExpressVerifierOptions, type ExpressRequestLike } from './express';
export { fastifyVerifier, type FastifyVerifierPlugin } from './fastify';
export type { AdapterOptions } from './adapter-options';
export { refusalResponse, type Refusal } from './refusal';
export { MODEL_SCOPE_PREFIX, modelAllowed } from './model-scope';
export * from './route-policy';
