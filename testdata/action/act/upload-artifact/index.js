// The upload-artifact stand-in of the act tests (see action.yml beside
// it). It takes literal paths only: a glob or a missing file fails the
// step, so a workflow that needs more is noticed.
'use strict';
const fs = require('fs');
const path = require('path');

try {
  const root = process.env.ARTIFACT_STANDIN_DIR;
  if (!root) throw new Error('ARTIFACT_STANDIN_DIR is not set');
  const name = process.env.INPUT_NAME || '';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`artifact name ${JSON.stringify(name)}: letters, digits, . _ - only here`);
  const dest = path.join(root, name);
  // upload-artifact@v4 refuses a second artifact of a name.
  fs.mkdirSync(dest, { recursive: false });
  const files = (process.env.INPUT_PATH || '').split('\n').map((l) => l.trim()).filter(Boolean);
  if (files.length === 0) throw new Error('path: no files');
  for (const f of files) {
    if (/[*?[\]!]/.test(f)) throw new Error(`path ${f}: the stand-in takes no globs`);
    const src = path.resolve(process.env.GITHUB_WORKSPACE, f);
    fs.copyFileSync(src, path.join(dest, path.basename(src)), fs.constants.COPYFILE_EXCL);
    process.stdout.write(`artifact ${name}: ${f}\n`);
  }
} catch (err) {
  process.stdout.write(`::error::${err.message}\n`);
  process.exitCode = 1;
}
