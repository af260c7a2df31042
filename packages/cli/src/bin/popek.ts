#!/usr/bin/env node
import { tuneHostEngine } from '../cli/host-engine.js';
import { main } from '../cli/main.js';
import { runCommand } from '../cli/run-command.js';

// Before any machine compiles WebAssembly.
tuneHostEngine();
process.exitCode = await main(process.argv.slice(2), runCommand);
