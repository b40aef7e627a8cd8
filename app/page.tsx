export default function HomePage() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-2xl flex-col justify-center gap-4 px-6 py-16">
      <h1 className="text-4xl font-semibold tracking-tight">Workspace</h1>
      <p className="text-lg text-muted-foreground">
        A multi-tenant, real-time team workspace on Convex + Clerk + Next.js. The dashboard is coming soon.
      </p>
    </main>
  );
}
