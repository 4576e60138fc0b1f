#!/usr/bin/env node
import { boundHeapGrowth } from '../dist/heap-growth.js';
import { main } from '../dist/main.js';

boundHeapGrowth();
process.exitCode = await main(process.argv.slice(2));
