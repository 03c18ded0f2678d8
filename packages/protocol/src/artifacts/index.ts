// `@app/protocol/artifacts`: the protocol as standard documents (JSON Schema, AsyncAPI), for the
// generator (`pnpm generate`), its tests and the REST API's OpenAPI document. Not for browsers.
export { asyncApiDocument } from './asyncapi.js';
export { COMPILED_SCHEMAS_PATH, compiledSchemas, compiledSchemasModule } from './compiled-schemas-module.js';
export { SCHEMA_DIR, jsonFileText, protocolArtifactFiles } from './artifact-files.js';
export { toJsonSchema, zodToJsonSchema, type JsonSchema, type JsonSchemaTarget } from './json-schema.js';
export { messageSchemas, type MessageSchema } from './message-schemas.js';
export { ComponentSchemas } from './component-schemas.js';
export { NAMED_SCHEMAS, pascalName } from './schema-names.js';
