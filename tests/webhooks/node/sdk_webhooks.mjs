// The official @linear/sdk against `fakelinear serve`: LinearClient creates a webhook and
// issues over GraphQL; LinearWebhookClient (from "@linear/sdk/webhooks") verifies and parses
// the deliveries that arrive, and refuses the opt-in bad signatures and stale timestamps.
// Prints one JSON object for the Python test. Env: FAKE_BASE (base URL), FAKE_TOKEN.
import http from "node:http";
import { LinearClient } from "@linear/sdk";
import { LinearWebhookClient } from "@linear/sdk/webhooks";

const base = process.env.FAKE_BASE;
const linear = new LinearClient({ apiKey: process.env.FAKE_TOKEN, apiUrl: `${base}/graphql` });

const received = [];
const answers = [];
let handler = null;
const server = http.createServer(async (req, res) => {
  if (handler === null) {
    res.statusCode = 503;
    res.end();
    return;
  }
  await handler(req, res);
  answers.push({ delivery: req.headers["linear-delivery"], event: req.headers["linear-event"], status: res.statusCode });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/linear/webhooks`;

async function waitFor(done, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function faults(webhooks) {
  const response = await fetch(`${base}/_fake/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ plan: { webhooks } }),
  });
  if (!response.ok) throw new Error(`faults: HTTP ${response.status}`);
}

const team = await linear.team("ENG");
const created = await linear.createWebhook({ url, teamId: team.id, resourceTypes: ["Issue"], label: "sdk" });
const webhook = await created.webhook;
const client = new LinearWebhookClient(webhook.secret);
handler = client.createHandler();
handler.on("Issue", (payload) => {
  received.push({
    action: payload.action,
    type: payload.type,
    id: payload.data.id,
    title: payload.data.title,
    webhookId: payload.webhookId,
    organizationId: payload.organizationId,
    updatedFrom: payload.updatedFrom ?? null,
  });
});

const issue = await (await linear.createIssue({ teamId: team.id, title: "from the sdk" })).issue;
await waitFor(() => answers.length >= 1);
await linear.updateIssue(issue.id, { title: "renamed by the sdk" });
await waitFor(() => answers.length >= 2);

await faults({ bad_signature: 1.0 });
await linear.updateIssue(issue.id, { title: "forged signature" });
await waitFor(() => answers.length >= 3);

await faults({ bad_signature: 0.0, stale_timestamp: 1.0 });
await linear.updateIssue(issue.id, { title: "stale timestamp" });
await waitFor(() => answers.length >= 4);

server.close();
console.log(JSON.stringify({
  webhook: { id: webhook.id, enabled: webhook.enabled, resourceTypes: webhook.resourceTypes,
             secretPrefix: webhook.secret.slice(0, 7) },
  issue: issue.id,
  received,
  answers,
}));
