#!/usr/bin/env node
import { endQuietlyOnClosedPipe } from '../dist/closed-pipe.js';
import { boundHeapGrowth } from '../dist/heap-growth.js';
import { main } from '../dist/main.js';

boundHeapGrowth();
endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
