/**
 * The ext-tasks wire schemas, loaded on first use. Building them is about 10 ms of zod at
 * start-up, for a feature most calls never touch; the request handlers are async anyway, so
 * each schema is a small Standard Schema that loads the real one when it first validates.
 */
import type { StandardSchemaV1 } from '@modelcontextprotocol/server';

type TasksV1 = typeof import('@modelcontextprotocol/ext-tasks/core/v1');
type TasksV2 = typeof import('@modelcontextprotocol/ext-tasks/core/v2');

let v1: Promise<TasksV1> | undefined;
let v2: Promise<TasksV2> | undefined;

/** 2025-11-25 tasks (ext-tasks core/v1). */
export const tasksV1 = (): Promise<TasksV1> => (v1 ??= import('@modelcontextprotocol/ext-tasks/core/v1'));
/** 2026-07-28 `io.modelcontextprotocol/tasks` (ext-tasks core/v2). */
export const tasksV2 = (): Promise<TasksV2> => (v2 ??= import('@modelcontextprotocol/ext-tasks/core/v2'));

/** The extension's id, as ext-tasks spells it (TASKS_EXTENSION_ID_V2); kept here so advertising it loads nothing. */
export const TASKS_EXTENSION_ID = 'io.modelcontextprotocol/tasks';

/** A schema that validates with `pick(module)` once `load` has brought the module in. */
export function lazySchema<M, S extends StandardSchemaV1>(load: () => Promise<M>, pick: (module: M) => S): StandardSchemaV1<StandardSchemaV1.InferInput<S>, StandardSchemaV1.InferOutput<S>> {
  let schema: S | undefined;
  return {
    '~standard': {
      version: 1,
      vendor: 'mcp-providers-lazy',
      validate: async (value) => (schema ??= pick(await load()))['~standard'].validate(value) as StandardSchemaV1.Result<StandardSchemaV1.InferOutput<S>>,
    },
  };
}
