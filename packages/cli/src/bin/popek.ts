#!/usr/bin/env node
import { main } from '../cli/main.js';
import { runCommand } from '../cli/run-command.js';

process.exitCode = await main(process.argv.slice(2), runCommand);
