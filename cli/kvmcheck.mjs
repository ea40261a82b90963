#!/usr/bin/env node
// `npx kvmcheck`: loads cli/main.ts through tsx's loader (Node 20 cannot run TypeScript natively).
import { register } from 'tsx/esm/api';

register();
await import('./bin.ts');
