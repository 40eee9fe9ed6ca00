#!/usr/bin/env node
console.log('vi-mmrec: not yet implemented');
