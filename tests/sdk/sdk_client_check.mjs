// The official @linear/sdk, unmodified, against fakelinear: typed calls across many entity
// kinds (create, read by id, lazy relations, list with a filter, fetchNext, update, archive,
// delete). Prints one JSON object: {"version": ..., "steps": [{kind, step, ok, error?}]}.
// Env: LINEAR_API_URL (the fake's /graphql), LINEAR_API_KEY.
import { LinearClient } from "@linear/sdk";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const version = require("@linear/sdk/package.json").version;
const client = new LinearClient({ apiKey: process.env.LINEAR_API_KEY, apiUrl: process.env.LINEAR_API_URL });
const steps = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(kind, name, fn) {
  try {
    const value = await fn();
    steps.push({ kind, step: name, ok: true });
    return value;
  } catch (error) {
    steps.push({ kind, step: name, ok: false, error: String(error?.message ?? error).slice(0, 400) });
    return undefined;
  }
}

// Create, read back, list with an id filter, update, then the lifecycle the kind has.
async function lifecycle(kind, { create, read, list, update, updateInput, archive, unarchive, remove, field, after }) {
  const payload = await step(kind, "create", () => create());
  if (!payload) return undefined;
  const entity = await step(kind, "payload entity", async () => {
    check(payload.success === true, "success is not true");
    const made = await payload[field];
    check(made?.id, `payload.${field} has no id`);
    return made;
  });
  if (!entity) return undefined;
  await step(kind, "read by id", async () => {
    const again = await read(entity.id);
    check(again.id === entity.id, "read a different entity");
  });
  if (list) {
    await step(kind, "list with filter", async () => {
      const page = await list({ filter: { id: { eq: entity.id } } });
      check(page.nodes.length === 1 && page.nodes[0].id === entity.id, `filter found ${page.nodes.length}`);
    });
  }
  if (after) await after(entity);
  if (update) {
    await step(kind, "update", async () => {
      const result = await update(entity.id, updateInput);
      check(result.success === true, "update did not succeed");
    });
  }
  if (archive) {
    await step(kind, "archive", async () => check((await archive(entity.id)).success, "archive failed"));
  }
  if (unarchive) {
    await step(kind, "unarchive", async () => check((await unarchive(entity.id)).success, "unarchive failed"));
  }
  if (remove) {
    await step(kind, "delete", async () => check((await remove(entity.id)).success, "delete failed"));
  }
  return entity;
}

const viewer = await step("User", "viewer", async () => {
  const me = await client.viewer;
  check(me.id && me.email, "viewer without id/email");
  const org = await me.organization;
  check(org.id, "viewer.organization");
  return me;
});

const team = await lifecycle("Team", {
  create: () => client.createTeam({ name: "SDK Team", key: "SDKT" }),
  read: (id) => client.team(id),
  list: (vars) => client.teams(vars),
  update: (id, input) => client.updateTeam(id, input),
  updateInput: { description: "updated by the SDK" },
  field: "team",
  after: async (t) => {
    await step("Team", "key filter", async () => {
      const page = await client.teams({ filter: { key: { eq: "SDKT" } } });
      check(page.nodes.length === 1 && page.nodes[0].id === t.id, "team by key");
    });
  },
});

const states = await step("WorkflowState", "team states", async () => {
  const page = await team.states();
  check(page.nodes.length === 5, `a new team has ${page.nodes.length} states`);
  const filtered = await client.workflowStates({ filter: { team: { id: { eq: team.id } }, type: { eq: "started" } } });
  check(filtered.nodes.length === 1 && filtered.nodes[0].name === "In Progress", "started state");
  return page.nodes;
});

await lifecycle("WorkflowState", {
  create: () => client.createWorkflowState({ teamId: team.id, name: "Review", type: "started", color: "#aabbcc" }),
  read: (id) => client.workflowState(id),
  list: (vars) => client.workflowStates(vars),
  update: (id, input) => client.updateWorkflowState(id, input),
  updateInput: { name: "In review" },
  archive: (id) => client.archiveWorkflowState(id),
  field: "workflowState",
});

const label = await lifecycle("IssueLabel", {
  create: () => client.createIssueLabel({ name: "sdk-bug", teamId: team.id, color: "#ff0000" }),
  read: (id) => client.issueLabel(id),
  list: (vars) => client.issueLabels(vars),
  update: (id, input) => client.updateIssueLabel(id, input),
  updateInput: { description: "bugs found by the SDK" },
  field: "issueLabel",
});

const issues = [];
const issue = await lifecycle("Issue", {
  create: () => client.createIssue({ teamId: team.id, title: "SDK issue", description: "made by @linear/sdk",
    priority: 2, labelIds: [label.id], assigneeId: viewer.id }),
  read: (id) => client.issue(id),
  list: (vars) => client.issues(vars),
  update: (id, input) => client.updateIssue(id, input),
  updateInput: { title: "SDK issue (edited)", priority: 1 },
  field: "issue",
  after: async (made) => {
    issues.push(made);
    await step("Issue", "lazy relations", async () => {
      const t = await made.team;
      const s = await made.state;
      const a = await made.assignee;
      const labels = await made.labels();
      check(t.id === team.id, "issue.team");
      check(s.type === "backlog", `issue.state is ${s.type}`);
      check(a.id === viewer.id, "issue.assignee");
      check(labels.nodes.map((l) => l.id).join() === label.id, "issue.labels");
      check(made.identifier === "SDKT-1", `identifier ${made.identifier}`);
    });
    await step("Issue", "fetchNext", async () => {
      for (const n of [2, 3, 4]) {
        const more = await client.createIssue({ teamId: team.id, title: `SDK page ${n}` });
        issues.push(await more.issue);
      }
      const first = await client.issues({ first: 2, filter: { team: { id: { eq: team.id } } } });
      check(first.nodes.length === 2 && first.pageInfo.hasNextPage, "first page");
      await first.fetchNext();
      check(first.nodes.length === 4 && !first.pageInfo.hasNextPage, `after fetchNext: ${first.nodes.length}`);
      check(new Set(first.nodes.map((i) => i.id)).size === 4, "pages overlap");
    });
    await step("Issue", "identifier lookup and unknown id", async () => {
      check((await client.issue("SDKT-1")).id === made.id, "issue by identifier");
      let failed = false;
      try {
        await client.issue("00000000-0000-4000-8000-000000000000");
      } catch (error) {
        failed = /Entity not found: Issue/.test(String(error?.message));
      }
      check(failed, "an unknown id did not give Linear's not-found error");
    });
  },
  archive: (id) => client.archiveIssue(id),
  unarchive: (id) => client.unarchiveIssue(id),
});

await lifecycle("Comment", {
  create: () => client.createComment({ issueId: issue.id, body: "a comment from the SDK" }),
  read: (id) => client.comment({ id }),
  list: (vars) => client.comments(vars),
  update: (id, input) => client.updateComment(id, input),
  updateInput: { body: "edited comment" },
  remove: (id) => client.deleteComment(id),
  field: "comment",
  after: async (c) => {
    await step("Comment", "comment.issue", async () => check((await c.issue).id === issue.id, "comment.issue"));
  },
});

await lifecycle("IssueRelation", {
  create: () => client.createIssueRelation({ issueId: issues[1].id, relatedIssueId: issues[2].id, type: "blocks" }),
  read: (id) => client.issueRelation(id),
  update: (id, input) => client.updateIssueRelation(id, input),
  updateInput: { type: "related" },
  remove: (id) => client.deleteIssueRelation(id),
  field: "issueRelation",
  after: async (r) => {
    await step("IssueRelation", "relation.relatedIssue", async () =>
      check((await r.relatedIssue).id === issues[2].id, "relatedIssue"));
  },
});

const project = await lifecycle("Project", {
  create: () => client.createProject({ name: "SDK project", teamIds: [team.id] }),
  read: (id) => client.project(id),
  list: (vars) => client.projects(vars),
  update: (id, input) => client.updateProject(id, input),
  updateInput: { description: "edited by the SDK" },
  field: "project",
  after: async (p) => {
    await step("Project", "project.teams and status", async () => {
      const teams = await p.teams();
      check(teams.nodes.length === 1 && teams.nodes[0].id === team.id, "project.teams");
      check((await p.status).id, "project.status");
    });
  },
});

await lifecycle("ProjectMilestone", {
  create: () => client.createProjectMilestone({ projectId: project.id, name: "M1" }),
  read: (id) => client.projectMilestone(id),
  list: (vars) => client.projectMilestones(vars),
  update: (id, input) => client.updateProjectMilestone(id, input),
  updateInput: { name: "Milestone 1" },
  remove: (id) => client.deleteProjectMilestone(id),
  field: "projectMilestone",
  after: async (m) => {
    await step("ProjectMilestone", "project.projectMilestones", async () => {
      const page = await project.projectMilestones();
      check(page.nodes.some((n) => n.id === m.id), "milestone not listed on its project");
    });
  },
});

await lifecycle("ProjectUpdate", {
  create: () => client.createProjectUpdate({ projectId: project.id, body: "on track" }),
  read: (id) => client.projectUpdate(id),
  list: (vars) => client.projectUpdates(vars),
  update: (id, input) => client.updateProjectUpdate(id, input),
  updateInput: { body: "still on track" },
  remove: (id) => client.deleteProjectUpdate(id),
  field: "projectUpdate",
});

await lifecycle("Document", {
  create: () => client.createDocument({ title: "SDK doc", content: "# Hello", projectId: project.id }),
  read: (id) => client.document(id),
  list: (vars) => client.documents(vars),
  update: (id, input) => client.updateDocument(id, input),
  updateInput: { title: "SDK doc (edited)" },
  remove: (id) => client.deleteDocument(id),
  unarchive: undefined,
  field: "document",
});

await lifecycle("Cycle", {
  create: () => client.createCycle({ teamId: team.id, startsAt: new Date("2026-02-01"), endsAt: new Date("2026-02-15") }),
  read: (id) => client.cycle(id),
  list: (vars) => client.cycles(vars),
  update: (id, input) => client.updateCycle(id, input),
  updateInput: { name: "Cycle one" },
  archive: (id) => client.archiveCycle(id),
  field: "cycle",
  after: async (c) => {
    await step("Cycle", "cycle.team and team.cycles", async () => {
      check((await c.team).id === team.id, "cycle.team");
      check((await team.cycles()).nodes.some((n) => n.id === c.id), "team.cycles");
    });
  },
});

await lifecycle("Attachment", {
  create: () => client.createAttachment({ issueId: issue.id, url: "https://example.com/build/1", title: "Build 1" }),
  read: (id) => client.attachment(id),
  list: (vars) => client.attachments(vars),
  update: (id, input) => client.updateAttachment(id, input),
  updateInput: { title: "Build 1 (green)" },
  remove: (id) => client.deleteAttachment(id),
  field: "attachment",
  after: async (a) => {
    await step("Attachment", "issue.attachments", async () =>
      check((await issue.attachments()).nodes.some((n) => n.id === a.id), "issue.attachments"));
  },
});

await lifecycle("Favorite", {
  create: () => client.createFavorite({ issueId: issue.id }),
  read: (id) => client.favorite(id),
  list: (vars) => client.favorites(vars),
  update: (id, input) => client.updateFavorite(id, input),
  updateInput: { sortOrder: 5 },
  remove: (id) => client.deleteFavorite(id),
  field: "favorite",
});

await lifecycle("Initiative", {
  create: () => client.createInitiative({ name: "SDK initiative" }),
  read: (id) => client.initiative(id),
  list: (vars) => client.initiatives(vars),
  update: (id, input) => client.updateInitiative(id, input),
  updateInput: { description: "bigger things" },
  archive: (id) => client.archiveInitiative(id),
  unarchive: (id) => client.unarchiveInitiative(id),
  remove: (id) => client.deleteInitiative(id),
  field: "initiative",
});

await lifecycle("Customer", {
  create: () => client.createCustomer({ name: "ACME Corp", domains: ["acme.example"] }),
  read: (id) => client.customer(id),
  list: (vars) => client.customers(vars),
  update: (id, input) => client.updateCustomer(id, input),
  updateInput: { name: "ACME Inc" },
  remove: (id) => client.deleteCustomer(id),
  field: "customer",
});

await lifecycle("Template", {
  create: () => client.createTemplate({ name: "Bug report", type: "issue", teamId: team.id, templateData: { title: "Bug" } }),
  read: (id) => client.template(id),
  update: (id, input) => client.updateTemplate(id, input),
  updateInput: { name: "Bug report v2" },
  remove: (id) => client.deleteTemplate(id),
  field: "template",
});

await lifecycle("CustomView", {
  create: () => client.createCustomView({ name: "My bugs", filterData: { labels: { name: { eq: "sdk-bug" } } } }),
  read: (id) => client.customView(id),
  list: (vars) => client.customViews(vars),
  update: (id, input) => client.updateCustomView(id, input),
  updateInput: { name: "Our bugs" },
  remove: (id) => client.deleteCustomView(id),
  field: "customView",
});

await lifecycle("TeamMembership", {
  create: async () => {
    const users = await client.users();
    const other = users.nodes.find((u) => u.id !== viewer.id);
    return client.createTeamMembership({ teamId: team.id, userId: other.id });
  },
  read: (id) => client.teamMembership(id),
  list: (vars) => client.teamMemberships(vars),
  update: (id, input) => client.updateTeamMembership(id, input),
  updateInput: { owner: true },
  remove: (id) => client.deleteTeamMembership(id),
  field: "teamMembership",
  after: async () => {
    await step("TeamMembership", "team.members", async () =>
      check((await team.members()).nodes.length === 1, "team.members"));
  },
});

await lifecycle("Roadmap", {
  create: () => client.createRoadmap({ name: "2027" }),
  read: (id) => client.roadmap(id),
  list: (vars) => client.roadmaps(vars),
  update: (id, input) => client.updateRoadmap(id, input),
  updateInput: { name: "2027 plan" },
  archive: (id) => client.archiveRoadmap(id),
  unarchive: (id) => client.unarchiveRoadmap(id),
  remove: (id) => client.deleteRoadmap(id),
  field: "roadmap",
});

await lifecycle("ProjectLabel", {
  create: () => client.createProjectLabel({ name: "platform" }),
  read: (id) => client.projectLabel(id),
  list: (vars) => client.projectLabels(vars),
  update: (id, input) => client.updateProjectLabel(id, input),
  updateInput: { name: "platform team" },
  remove: (id) => client.deleteProjectLabel(id),
  field: "projectLabel",
});

// Issue lifecycle ends with a delete: trashed, still readable by id.
await step("Issue", "delete trashes", async () => {
  check((await client.deleteIssue(issue.id)).success, "deleteIssue");
  const trashed = await client.issue(issue.id);
  check(trashed.trashed === true && trashed.archivedAt, "deleted issue is not trashed");
});
await step("Project", "delete trashes", async () => check((await client.deleteProject(project.id)).success, "deleteProject"));
await step("Team", "delete archives", async () => {
  check((await client.deleteTeam(team.id)).success, "deleteTeam");
  check((await client.teams({ filter: { key: { eq: "SDKT" } } })).nodes.length === 0, "archived team still listed");
  check((await client.unarchiveTeam(team.id)).success, "unarchiveTeam");
});

console.log(JSON.stringify({ version, steps }));
