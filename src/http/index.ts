/**
 * `extension-storage/http`: the reference's REST API as a web-standard handler
 * (`createStorageHandler`), its OpenAPI document, and the `node:http` adapter (`toNodeHandler`).
 * @module
 */
export { createStorageHandler } from './handler.js';
export type { StorageHandler, StorageHandlerOptions } from './handler.js';
export { openApiDocument } from './openapi.js';
export type { OpenApiObject, OpenApiOptions } from './openapi.js';
export { toNodeHandler } from './node.js';
export type { FetchHandler, NodeHandler } from './node.js';
export type { EntryMetadata, HttpErrorCode } from './responses.js';
