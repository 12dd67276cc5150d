// The download-artifact stand-in of the act tests (see action.yml beside
// it). As download-artifact@v4: one artifact by name goes into path
// itself; several (a pattern, or all) each into path/NAME, or all into
// path with merge-multiple. A pattern that matches nothing fails the
// step here, so a workflow that uploads under other names is noticed.
'use strict';
const fs = require('fs');
const path = require('path');

try {
  const root = process.env.ARTIFACT_STANDIN_DIR;
  if (!root) throw new Error('ARTIFACT_STANDIN_DIR is not set');
  const name = process.env.INPUT_NAME || '';
  const pattern = process.env.INPUT_PATTERN || '';
  const merge = (process.env['INPUT_MERGE-MULTIPLE'] || 'false').trim() === 'true';
  const dest = path.resolve(process.env.GITHUB_WORKSPACE, process.env.INPUT_PATH || '.');
  const glob = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  const all = fs.readdirSync(root).sort();
  const picked = name ? all.filter((a) => a === name) : all.filter((a) => !pattern || glob.test(a));
  if (picked.length === 0) throw new Error(`no artifact matches ${name || pattern || '*'}`);
  for (const a of picked) {
    const into = name || merge ? dest : path.join(dest, a);
    fs.mkdirSync(into, { recursive: true });
    for (const f of fs.readdirSync(path.join(root, a))) {
      fs.copyFileSync(path.join(root, a, f), path.join(into, f));
      process.stdout.write(`artifact ${a}: ${path.join(into, f)}\n`);
    }
  }
} catch (err) {
  process.stdout.write(`::error::${err.message}\n`);
  process.exitCode = 1;
}
