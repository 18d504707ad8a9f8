// Drive the official Rally Node toolkit (npm `rally`) through its whole public API against a server.
// Usage: node driver.js  (config in the environment: RALLY_SERVER, and RALLY_API_KEY or
// RALLY_USERNAME + RALLY_PASSWORD).  Prints one JSON object per line: {step, ok, value|error}.
// Every step runs even when an earlier one fails, so the pytest side sees each outcome by name.
'use strict';

const rally = require('rally');

const refUtils = rally.util.ref;
const queryUtils = rally.util.query;

const options = { server: process.env.RALLY_SERVER, requestOptions: { strictSSL: false } };
if (process.env.RALLY_API_KEY) {
  options.apiKey = process.env.RALLY_API_KEY;
} else {
  options.user = process.env.RALLY_USERNAME;
  options.pass = process.env.RALLY_PASSWORD;
}
const api = rally(options);
const tag = process.env.DRIVER_TAG || 'node';

function emit(step, ok, payload) {
  const line = { step, ok };
  if (ok) line.value = payload; else line.error = payload;
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function step(name, fn) {
  try {
    const value = await fn();
    emit(name, true, value === undefined ? null : value);
    return value;
  } catch (err) {
    const errors = (err && err.errors) || [err];
    emit(name, false, errors.map((e) => (e && e.message ? e.message : String(e))));
    return undefined;
  }
}

function callbackStyle(method, opts) {
  // The toolkit's second calling convention: node-style callbacks instead of promises.
  return new Promise((resolve, reject) => {
    api[method](opts, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function main() {
  await step('ref.utils', async () => ({
    isRef: [refUtils.isRef('/defect/1234'), refUtils.isRef('not a ref'), refUtils.isRef({ _ref: '/task/5' })],
    relative: refUtils.getRelative('https://rally1.rallydev.com/slm/webservice/v2.0/portfolioitem/feature/77'),
    type: refUtils.getType('/portfolioitem/feature/77/children'),
    id: refUtils.getId('/workspacepermission/123u456w1'),
  }));

  const builder = queryUtils.where('Name', 'contains', `${tag} probe`)
    .and('Severity', '=', 'Major Problem')
    .or(queryUtils.where('Name', '=', `${tag}-nobody`));
  await step('query.builder', async () => builder.toQueryString());

  const user = await step('get.user', async () => {
    // GET /user answers the caller's own User (not a QueryResult); the toolkit hands that object back.
    const r = await api.query({ type: 'user', fetch: ['UserName', 'ObjectID'] });
    return { userName: r.UserName, ref: refUtils.getRelative(r._ref), isQueryResult: 'TotalResultCount' in r };
  });

  const workspace = await step('query.workspace', async () => {
    const r = await api.query({ type: 'workspace', fetch: ['Name'] });
    return { name: r.Results[0].Name, ref: refUtils.getRelative(r.Results[0]._ref) };
  });
  const project = await step('query.project', async () => {
    const r = await api.query({ type: 'project', fetch: ['Name'], order: 'Name', limit: 1,
      scope: { workspace: workspace && workspace.ref } });
    return { name: r.Results[0].Name, ref: refUtils.getRelative(r.Results[0]._ref) };
  });
  const scope = project ? { project: project.ref, up: false, down: true } : undefined;

  const created = await step('create', async () => {
    const r = await api.create({ type: 'defect', fetch: ['FormattedID', 'Name', 'Severity', 'State'], scope,
      data: { Name: `${tag} probe defect`, Severity: 'Major Problem', Project: project && project.ref } });
    return { type: r.Object._type, name: r.Object.Name, severity: r.Object.Severity, state: r.Object.State,
      formattedId: r.Object.FormattedID, ref: refUtils.getRelative(r.Object._ref), errors: r.Errors };
  });
  const ref = created && created.ref;

  await step('get', async () => {
    const r = await api.get({ ref, fetch: ['Name', 'Owner', 'Description', 'Tags'] });
    return { name: r.Object.Name, owner: r.Object.Owner, description: r.Object.Description,
      tagsCount: r.Object.Tags && r.Object.Tags.Count, errors: r.Errors };
  });

  await step('update', async () => {
    const r = await api.update({ ref, fetch: ['Name', 'State'], data: { Name: `${tag} probe defect renamed`, State: 'Open' } });
    return { name: r.Object.Name, state: r.Object.State };
  });

  await step('create.pages', async () => {
    const names = [];
    for (let i = 0; i < 3; i += 1) {
      const r = await api.create({ type: 'defect', scope, data: { Name: `${tag} probe page ${i}`, Project: project && project.ref } });
      names.push(r.Object._refObjectName);
    }
    return names;
  });
  await step('query.builder.run', async () => {
    const q = queryUtils.where('Name', 'contains', `${tag} probe`).and('State', '=', 'Open');
    const r = await api.query({ type: 'defect', query: q, fetch: 'Name,State', order: ['Name'], scope });
    return { total: r.TotalResultCount, names: r.Results.map((x) => x.Name) };
  });

  await step('query.paged', async () => {
    // limit > pageSize: the toolkit follows StartIndex/TotalResultCount across pages itself.
    const r = await api.query({ type: 'defect', query: `(Name contains "${tag} probe")`, fetch: ['Name'],
      order: 'Name', pageSize: 1, limit: 3, start: 1, scope });
    return { total: r.TotalResultCount, pageSize: r.PageSize, startIndex: r.StartIndex,
      names: r.Results.map((x) => x.Name) };
  });

  await step('query.callback', async () => {
    const r = await callbackStyle('query', { type: 'hierarchicalrequirement', fetch: ['FormattedID'], limit: 2, scope });
    return { rows: r.Results.length, errors: r.Errors };
  });

  const newTag = await step('create.tag', async () => {
    const r = await api.create({ type: 'tag', data: { Name: `${tag}-conformance-tag` }, fetch: ['Name'] });
    return { ref: refUtils.getRelative(r.Object._ref), name: r.Object.Name };
  });

  await step('add', async () => {
    const r = await api.add({ ref, collection: 'Tags', data: [{ _ref: newTag && newTag.ref }], fetch: ['Name'] });
    return { names: r.Results.map((x) => x.Name), errors: r.Errors };
  });

  await step('add.create', async () => {
    // Items without _ref create new members of an owned collection (the toolkit's documented use).
    const r = await api.add({ ref, collection: 'Tasks', data: [{ Name: `${tag} task made by add` }], fetch: ['Name', 'WorkProduct'] });
    return { names: r.Results.map((x) => x.Name), types: r.Results.map((x) => x._type), errors: r.Errors };
  });

  await step('query.collection', async () => {
    const r = await api.query({ ref: `${ref}/Tags`, fetch: ['Name'], order: 'Name' });
    return { total: r.TotalResultCount, names: r.Results.map((x) => x.Name) };
  });

  await step('remove', async () => {
    const r = await api.remove({ ref, collection: 'Tags', data: [{ _ref: newTag && newTag.ref }] });
    return { results: r.Results === undefined ? null : r.Results, errors: r.Errors };
  });

  await step('get.after.remove', async () => {
    const r = await api.get({ ref, fetch: ['Tags', 'Tasks'] });
    return { tagsCount: r.Object.Tags.Count, tasksCount: r.Object.Tasks.Count };
  });

  await step('update.invalid', async () => {
    await api.update({ ref, data: { Severity: 'Not a severity' } });
    return 'accepted';
  });

  await step('query.unknown.type', async () => {
    await api.query({ type: 'nosuchtype' });
    return 'accepted';
  });

  await step('del', async () => {
    const r = await callbackStyle('del', { ref });
    return { errors: r.Errors };
  });

  await step('get.after.del', async () => {
    const r = await api.get({ ref });
    return r.Object;
  });

  if (!user) emit('summary', false, 'could not read a user');
}

main().then(() => process.exit(0), (err) => {
  emit('driver', false, String(err && err.stack));
  process.exit(1);
});
