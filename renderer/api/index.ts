export type { ApiClient } from './api-client.js';
export { ApiCallError, errorMessage } from './api-call-error.js';
export { createApiClient, browserEnvironment } from './create-api-client.js';
export { watchStatus } from './live-status.js';
