// The token bucket moved to @app/core, where the REST API's per-subject limit uses it too.
export { TokenBucket } from '@app/core';
