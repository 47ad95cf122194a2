#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/ with the shipped oclif manifest.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
