#!/usr/bin/env node
/**
 * Entry point. Routes console output to stderr before anything else loads, because in
 * stdio mode stdout carries only MCP messages; then hands over to the commands.
 */
import { routeConsoleToStderr } from './util/console.js';

routeConsoleToStderr();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
