// The github-script stand-in of the act tests (see action.yml beside it).
// It implements only what action.yml's script calls: an unknown call
// fails the step, so a script that needs more is noticed, not skipped.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const core = {
  // Written the way the runner reads a value of any text: between a
  // delimiter the value cannot hold.
  setOutput(name, value) {
    const delim = 'standin_' + crypto.randomBytes(16).toString('hex');
    value = String(value);
    if (value.includes(delim)) throw new Error(`output ${name}: value holds the delimiter`);
    fs.appendFileSync(process.env.GITHUB_OUTPUT, `${name}<<${delim}\n${value}\n${delim}\n`);
  },
  setSecret(value) {
    process.stdout.write(`::add-mask::${String(value).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
  },
};

const guarded = new Proxy(core, {
  get(target, prop) {
    if (!(prop in target)) throw new Error(`the github-script stand-in has no core.${String(prop)}`);
    return target[prop];
  },
});

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('core', 'process', 'require', process.env.INPUT_SCRIPT)(guarded, process, require).catch((err) => {
  process.stdout.write(`::error::${err.message}\n`);
  process.exitCode = 1;
});
