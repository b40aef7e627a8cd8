/**
 * The export service exporting an organization of 10,000 tasks (20 projects × 500) as CSV and as
 * JSON through `GET /export`: tokens from the local identity provider, verified by the service
 * against its JWKS, and the data read through the typed client, 100 rows a page, from a stand-in
 * for `/api/v1` that answers the deployment's page shapes (`Page<Project>`, `Page<Task>`) from
 * memory. The service runs in a process of its own (`bench/export-service.ts`) so its memory is its
 * own: its peak RSS and heap while exporting, against its baseline after a garbage collection. A
 * heap that grows far less than the document's size is the export streaming rather than buffering.
 *
 * Why not the offline stack's backend: it keeps every tenant's data and history in memory on
 * convex-test's engine, and creating 10,000 tasks through its mutations ran it out of its 4 GB heap.
 * The times here are the service's own (verification, paging, encoding, streaming), with an API
 * that answers at once; on a deployment, add each page query's time.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startIdentityProvider } from "@tenant-workspace/clerk-local";
import type { Page, Project, Task } from "@tenant-workspace/api-client";
import { IDENTITY_PROVIDER_CONFIG } from "../offline/demo-directory";

const TASKS_PER_PROJECT = 500;
/** 10,000 tasks, then 50,000: a streamed export's peak memory stays flat as the organization grows. */
const SIZES = [20, 100];
/** The app the tokens are issued to (their `azp`), one the service accepts. */
const APP_ORIGIN = "http://localhost:3000";
const STATUSES = ["todo", "in_progress", "done"] as const;
const CREATED = Date.parse("2026-01-01T00:00:00Z");

type Memory = { rss: number; heapUsed: number };
type Message =
  | { kind: "ready"; url: string }
  | { kind: "reset"; baseline: Memory }
  | { kind: "report"; baseline: Memory; peak: Memory; log: string };

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const project = (p: number): Project => ({
  _id: `project${String(p).padStart(4, "0")}`,
  _creationTime: CREATED + p,
  name: `Bench project ${p + 1}`,
  status: "active",
  updatedAt: CREATED + p,
  counts: { todo: 167, in_progress: 167, done: 166 },
});

const task = (p: number, i: number): Task => ({
  _id: `task${String(p).padStart(4, "0")}${String(i).padStart(6, "0")}`,
  _creationTime: CREATED + p * TASKS_PER_PROJECT + i,
  projectId: project(p)._id,
  title: `Task ${i + 1} of Bench project ${p + 1}, with a "quoted" word, a comma`,
  ...(i % 4 === 0 && { description: "A description long enough to look like one people write.\nTwo lines." }),
  status: STATUSES[i % STATUSES.length]!,
  position: i * 1024,
  assignee: i % 3 === 0 ? { _id: "user0001", name: "Alice Johnson", deleted: false } : null,
  updatedAt: CREATED + p * TASKS_PER_PROJECT + i,
});

/** A page of `total` rows made by `row`, with the offset as the cursor, as `/api/v1` pages them. */
function page<T>(url: URL, total: number, row: (index: number) => T): Page<T> {
  const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 25));
  const start = Number(url.searchParams.get("cursor") ?? 0);
  const end = Math.min(total, start + limit);
  return {
    data: Array.from({ length: end - start }, (_, k) => row(start + k)),
    nextCursor: end < total ? String(end) : null,
  };
}

/** The stand-in for `/api/v1`: the two list routes the export reads; it counts the requests. */
async function startApi(): Promise<{
  server: Server;
  url: string;
  requests: () => number;
  setProjects: (count: number) => void;
}> {
  let requests = 0;
  let projects = 0;
  const server = createServer((request, response) => {
    requests += 1;
    const url = new URL(request.url ?? "/", "http://api");
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? "")) {
      return send(401, { error: { code: "UNAUTHENTICATED", message: "No token forwarded." } });
    }
    const tasks = /^\/api\/v1\/projects\/project(\d{4})\/tasks$/.exec(url.pathname);
    if (url.pathname === "/api/v1/projects") {
      const active = url.searchParams.get("status") !== "archived";
      return send(200, page(url, active ? projects : 0, project));
    }
    if (tasks)
      return send(
        200,
        page(url, TASKS_PER_PROJECT, (i) => task(Number(tasks[1]), i)),
      );
    return send(404, { error: { code: "NOT_FOUND", message: "No such route." } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    setProjects: (count) => (projects = count),
  };
}

function ask<K extends Message["kind"]>(
  child: ChildProcess,
  kind: K,
  send?: string,
): Promise<Extract<Message, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message.kind !== kind) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message as Extract<Message, { kind: K }>);
    };
    const onExit = (code: number | null) => reject(new Error(`the export service exited (${code})`));
    child.on("message", onMessage);
    child.once("exit", onExit);
    if (send !== undefined) child.send({ kind: send });
  });
}

export async function benchExport(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "bench-export-"));
  const idp = await startIdentityProvider({ ...IDENTITY_PROVIDER_CONFIG, port: 0, dataDir, quiet: true });
  const api = await startApi();
  let child: ChildProcess | null = null;
  try {
    const acme = idp.directory.listOrganizations().find((org) => org.slug === "acme")!;
    const session = idp.sessions.create({ email_address: "alice.johnson@example.com", organization_id: acme.id });

    child = fork("bench/export-service.ts", {
      execArgv: ["--expose-gc", "--import", "tsx"],
      env: {
        ...process.env,
        CLERK_JWT_ISSUER_DOMAIN: idp.url,
        EXPORT_AUTHORIZED_PARTIES: APP_ORIGIN,
        CONVEX_SITE_URL: api.url,
        EXPORT_PORT: "0",
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const { url } = await ask(child, "ready");

    console.log(
      `Projects of ${TASKS_PER_PROJECT} tasks, exported by an admin (token from the local identity provider, ` +
        "azp checked, keys from its JWKS); /api/v1 stood in by a server answering from memory",
    );
    console.log(
      "format  status  first byte ms  total s  tasks   MiB  chunks  API requests  service RSS MiB (base → peak)  heap MiB (base → peak)",
    );
    const runs = [
      { projects: SIZES[0]!, format: "csv", warmUp: true },
      ...SIZES.flatMap((projects) => (["csv", "json"] as const).map((format) => ({ projects, format, warmUp: false }))),
    ];
    for (const { projects, format, warmUp } of runs) {
      api.setProjects(projects);
      await ask(child, "reset", "reset");
      const requestsBefore = api.requests();
      const started = performance.now();
      const token = await idp.sessions.token(session.id, { azp: APP_ORIGIN });
      const response = await fetch(`${url}/export?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
      let firstByte = 0;
      let bytes = 0;
      let chunks = 0;
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (chunks === 0) firstByte = performance.now() - started;
        chunks += 1;
        bytes += value.byteLength;
      }
      const seconds = (performance.now() - started) / 1000;
      const { baseline, peak, log } = await ask(child, "report", "report");
      const tasks = /(\d+) tasks/.exec(log)?.[1] ?? "?";
      console.log(
        [
          (warmUp ? `${format}*` : format).padEnd(6),
          String(response.status).padStart(6),
          firstByte.toFixed(0).padStart(13),
          seconds.toFixed(2).padStart(7),
          tasks.padStart(6),
          mib(bytes).padStart(5),
          String(chunks).padStart(7),
          String(api.requests() - requestsBefore).padStart(12),
          `${mib(baseline.rss)} → ${mib(peak.rss)}`.padStart(30),
          `${mib(baseline.heapUsed)} → ${mib(peak.heapUsed)}`.padStart(23),
        ].join("  "),
      );
    }
    console.log("(* the service's first export after starting, warm-up included)");
  } finally {
    child?.send({ kind: "stop" });
    await new Promise<void>((resolve) => api.server.close(() => resolve()));
    await idp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
