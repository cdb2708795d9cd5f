/**
 * The span attribute names we write. The MCP and GenAI ones are OpenTelemetry semantic
 * conventions still in development: the semantic-conventions package ships them only in its
 * `incubating` entry (770 KB, and free to change between releases), and asks users to copy what
 * they need instead of importing it — so they are copied here, and test/telemetry/attributes.test.ts
 * checks each against that entry. Names of our own are under `mcp_providers.`.
 */

// MCP server spans (semantic-conventions-genai docs/gen-ai/mcp.md).
export const MCP_METHOD_NAME = 'mcp.method.name';
export const MCP_SESSION_ID = 'mcp.session.id';
export const MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
export const NETWORK_TRANSPORT = 'network.transport';

// GenAI spans (docs/gen-ai/client-inference.md; execute_tool for the MCP tool call).
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
/** Opt-in content (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true): */
export const GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

// Stable general attributes.
export const ERROR_TYPE = 'error.type';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

// Ours: what the conventions have no name for.
/** Attempt on this provider, from 1; 2 and more are retries. */
export const ATTEMPT = 'mcp_providers.attempt';
/** Providers that failed before this attempt's, in order (set on a fallback's attempts). */
export const FALLBACK_FROM = 'mcp_providers.fallback_from';
/** Provider calls the tool call made in all (retries and fallbacks included). */
export const ATTEMPTS = 'mcp_providers.attempts';
/** What the provider reported the call cost, in US dollars (`usage.costUsd`). */
export const COST_USD = 'mcp_providers.usage.cost_usd';
export const JOB_ID = 'mcp_providers.job.id';
export const JOB_STATE = 'mcp_providers.job.state';
/** Set on the span of a job polled again after a restart (or taken over from a process that died). */
export const JOB_RESUMED = 'mcp_providers.job.resumed';
export const JOB_PROGRESS = 'mcp_providers.job.progress';
/** Our provider id (gen_ai.provider.name is the convention's name for it where one exists, e.g. gcp.vertex_ai). */
export const PROVIDER_ID = 'mcp_providers.provider';
export const MODEL = 'mcp_providers.model';
export const ARTIFACTS = 'mcp_providers.artifacts';
export const RETRY_DELAY_MS = 'mcp_providers.retry.delay_ms';

// Span events.
export const EVENT_RETRY = 'mcp_providers.retry';
export const EVENT_POLL = 'mcp_providers.poll';
export const EVENT_POLL_FAILED = 'mcp_providers.poll_failed';
