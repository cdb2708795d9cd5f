/**
 * How each server scenario of @modelcontextprotocol/conformance 0.2.0-alpha.12 applies to
 * mcp-providers, per spec version, and the checks we expect to fail (with why).
 *
 * - `runs`: the scenario needs nothing but a real server, so it runs in `npm test`. Its
 *   `expected` map names every check that may fail (FAILURE or WARNING), one reason each;
 *   any other failing check fails the test, and so does an expected one that passes (the
 *   suite's `--expected-failures` baseline reports it as stale). An expected check the
 *   suite skips or never reaches is tolerated, as the suite does.
 * - `fixture`: the scenario only exercises tools/prompts/resources that the suite's own
 *   "everything" fixture server defines (`needs` names them); mcp-providers has none of
 *   them, so it is not run.
 * - `pending`: the suite itself lists the scenario as pending (its reference fixture cannot
 *   pass it yet); not run unless it also applies without fixtures (then it is `runs`).
 * - `extension`: an extension scenario (not on the spec timeline), not run in `npm test` —
 *   except the tasks scenarios in TASKS, whose fixture-free checks are required (see there).
 *
 * The test checks that this table covers exactly the scenarios `conformance list --server`
 * prints, so a new suite release with new scenarios fails until they are classified here.
 */

export const SPEC_VERSIONS = ['2026-07-28', '2025-11-25'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

export type Entry =
  | { kind: 'runs'; expected?: Record<string, string> }
  | { kind: 'fixture'; needs: string }
  | { kind: 'pending'; needs: string }
  | { kind: 'extension'; needs: string };

const runs = (expected?: Record<string, string>): Entry => ({ kind: 'runs', ...(expected ? { expected } : {}) });
const fixture = (needs: string): Entry => ({ kind: 'fixture', needs });
const pending = (needs: string): Entry => ({ kind: 'pending', needs });
const extension = (needs: string): Entry => ({ kind: 'extension', needs });

/** Scenarios that exist only to call the everything fixture's tools/prompts/resources. */
const FIXTURE_ONLY = {
  'completion-complete': fixture('prompt test_prompt_with_arguments with completions (mcp-providers has no prompts and no completion/complete)'),
  'tools-call-simple-text': fixture('tool test_simple_text'),
  'tools-call-image': fixture('tool test_image_content'),
  'tools-call-audio': fixture('tool test_audio_content'),
  'tools-call-embedded-resource': fixture('tool test_embedded_resource'),
  'tools-call-mixed-content': fixture('tool test_multiple_content_types'),
  'tools-call-error': fixture('tool test_error_handling'),
  'tools-call-with-progress': fixture('tool test_tool_with_progress'),
  'resources-read-text': fixture('resource test://static-text'),
  'resources-read-binary': fixture('resource test://static-binary'),
  'resources-templates-read': fixture('resource template test://template/{id}/data'),
  'prompts-list': fixture('prompts (mcp-providers has no prompts: prompts/list is -32601)'),
  'prompts-get-simple': fixture('prompt test_simple_prompt'),
  'prompts-get-with-args': fixture('prompt test_prompt_with_arguments'),
  'prompts-get-embedded-resource': fixture('prompt test_prompt_with_embedded_resource'),
  'prompts-get-with-image': fixture('prompt test_prompt_with_image'),
} as const satisfies Record<string, Entry>;

export const SCENARIOS: Record<SpecVersion, Record<string, Entry>> = {
  '2026-07-28': {
    'server-stateless': runs({
      'sep-2575-server-rejects-undeclared-capability':
        "needs the suite's diagnostic tool test_missing_capability (a tool that requires the client's sampling capability; ours need none)",
      'sep-2575-missing-capability-http-400': 'needs the diagnostic tool test_missing_capability (HTTP status of its -32021 rejection)',
      'sep-2575-http-server-no-independent-requests-on-stream': 'needs the diagnostic tool test_streaming_elicitation',
      'sep-2575-server-no-log-without-loglevel': 'needs the diagnostic tool test_logging_tool',
      'sep-2575-server-sends-tools-list-changed-on-subscription':
        'our tool set never changes, so we declare tools.listChanged: false and the suite SKIPS it (it would need the hook test_trigger_tool_change)',
      'sep-2575-server-sends-prompts-list-changed-on-subscription':
        'mcp-providers has no prompts (SKIPPED); would need the hook test_trigger_prompt_change',
    }),
    'tools-list': runs(),
    'resources-list': runs(),
    'sep-2164-resource-not-found': runs(),
    caching: runs({ 'sep-2549-prompts-list-caching-hints': 'mcp-providers has no prompts: prompts/list answers -32601' }),
    'http-header-validation': runs(), // pending in the suite, but needs no fixture
    'dns-rebinding-protection': runs(),
    'server-sse-multiple-streams': runs(),
    'input-required-result-unsupported-methods': runs(),
    ...FIXTURE_ONLY,
    'json-schema-2020-12': pending('tool json_schema_2020_12_tool (and pending in the suite)'),
    'http-custom-header-server-validation': pending('a tool with x-mcp-header annotated parameters (and pending in the suite)'),
    'input-required-result-basic-elicitation': fixture('tool test_input_required_result_elicitation'),
    'input-required-result-basic-sampling': fixture('tool test_input_required_result_sampling'),
    'input-required-result-basic-list-roots': fixture('tool test_input_required_result_list_roots'),
    'input-required-result-request-state': fixture('tool test_input_required_result_request_state'),
    'input-required-result-multiple-input-requests': fixture('tool test_input_required_result_multiple_inputs'),
    'input-required-result-multi-round': fixture('tool test_input_required_result_multi_round'),
    'input-required-result-missing-input-response': fixture('tool test_input_required_result_elicitation'),
    'input-required-result-non-tool-request': fixture('prompt test_input_required_result_prompt'),
    'input-required-result-result-type': fixture('tool test_input_required_result_elicitation'),
    'input-required-result-tampered-state': fixture('tool test_input_required_result_tampered_state'),
    'input-required-result-capability-check': fixture('tool test_input_required_result_capabilities'),
    'input-required-result-ignore-extra-params': fixture('tool test_input_required_result_elicitation'),
    'input-required-result-validate-input': fixture('tool test_input_required_result_elicitation (without it the checks pass vacuously on "tool not found")'),
  },
  '2025-11-25': {
    'server-initialize': runs(),
    'server-session-lifecycle': runs(),
    ping: runs(),
    'tools-list': runs(),
    'logging-set-level': runs(),
    'resources-list': runs(),
    'dns-rebinding-protection': runs(),
    'server-sse-multiple-streams': runs(),
    ...FIXTURE_ONLY,
    'tools-call-with-logging': fixture('tool test_tool_with_logging'),
    'tools-call-sampling': fixture('tool test_sampling'),
    'tools-call-elicitation': fixture('tool test_elicitation'),
    'elicitation-sep1034-defaults': fixture('tool test_elicitation_sep1034_defaults'),
    'elicitation-sep1330-enums': fixture('tool test_elicitation_sep1330_enums'),
    'resources-subscribe': fixture('resources.subscribe capability and resource test://watched-resource (mcp-providers has no subscriptions)'),
    'resources-unsubscribe': fixture('resources.subscribe capability and resource test://watched-resource'),
    'json-schema-2020-12': pending('tool json_schema_2020_12_tool (and pending in the suite)'),
    'server-sse-polling': pending('tool test_reconnection that closes the SSE stream mid-call (and pending in the suite)'),
  },
};

/**
 * Extension scenarios (`[extension]` in `conformance list --server`). Those in TASKS are run
 * below (with --force); the others are not run in npm test.
 */
export const EXTENSIONS: Record<string, Entry> = {
  'tasks-lifecycle': extension('io.modelcontextprotocol/tasks with the fixture tools greet, slow_compute, failing_job and protocol_error_job (every check needs one); our task tools are covered by test/server/tasks.test.ts and test/e2e/tasks.test.ts'),
  'tasks-capability-negotiation': extension('io.modelcontextprotocol/tasks: run with --force, see TASKS'),
  'tasks-wire-fields': extension('io.modelcontextprotocol/tasks with the fixture tool slow_compute (every check needs it)'),
  'tasks-request-state-removal': extension('io.modelcontextprotocol/tasks with the fixture tool slow_compute (every check needs it)'),
  'tasks-mrtr-input': extension('io.modelcontextprotocol/tasks with the fixture tools confirm_delete and multi_input (our tasks never ask for input)'),
  'tasks-request-headers': extension('io.modelcontextprotocol/tasks with the fixture tools greet and slow_compute (its one fixture-free check, tasks-headers-reject-mismatched-method, passes)'),
  'tasks-dispatch-and-envelope': extension('io.modelcontextprotocol/tasks: run with --force, see TASKS'),
  'tasks-status-notifications': extension('io.modelcontextprotocol/tasks: the suite SKIPS it (its subscriptions/listen harness is pending); we send no notifications/tasks (optional)'),
  'tasks-required-task-error': extension('io.modelcontextprotocol/tasks with the fixture tool failing_job as a task-required tool (ours are task-optional)'),
  'tasks-mrtr-composition': extension('io.modelcontextprotocol/tasks with the fixture tool test_tool_with_task'),
  'sep-2640-skills-directory': extension('skills extension (SEP-2640): mcp-providers serves no skills'),
  'sep-2640-skills-enumeration': extension('skills extension (SEP-2640): mcp-providers serves no skills'),
  'sep-2640-skills-manifest': extension('skills extension (SEP-2640): mcp-providers serves no skills'),
};

export interface TasksScenario {
  /** Checks that must pass (they need no fixture tool). */
  required: string[];
  /** Every other check that may fail, and why (all need a fixture tool); one that passes is stale, and fails the test. */
  excluded: Record<string, string>;
}

/**
 * Tasks-extension scenarios run at 2026-07-28 with --force (the suite lists them as
 * extensions): the `required` checks must pass; an `excluded` one may fail (it needs a fixture
 * tool); any other failing check fails the test.
 */
export const TASKS: Record<string, TasksScenario> = {
  'tasks-capability-negotiation': {
    required: ['tasks-extension-advertised', 'sep-2663-tasks-methods-non-declaring'],
    excluded: {
      'sep-2663-server-rejects-undeclared-client':
        'needs the fixture tool slow_compute; our task tools answer plainly without the extension (test/server/tasks.test.ts)',
      'tasks-per-request-meta-opt-in': 'needs the fixture tool slow_compute; the per-request opt-in is how our tests call (test/e2e/tasks.test.ts)',
    },
  },
  'tasks-dispatch-and-envelope': {
    required: ['sep-2663-tasks-result-removed-method-not-found', 'tasks-removed-tasks-list', 'sep-2663-tasks-get-invalid-task-id-32602'],
    excluded: {
      'tasks-server-directed-creation-no-hint': 'needs the fixture tool failing_job',
      'sep-2663-legacy-task-param-ignored': 'needs the fixture tool greet (a sync tool)',
      'tasks-immediate-result-shortcut': 'needs the fixture tool slow_compute',
      'tasks-result-type-complete-on-non-task-responses': 'needs the fixture tools greet, slow_compute and confirm_delete',
      'sep-2663-durable-create-strong-consistency': 'needs the fixture tool slow_compute; our CreateTaskResult follows the stored job (test/server/tasks.test.ts)',
    },
  },
};
