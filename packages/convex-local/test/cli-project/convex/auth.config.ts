// The issuer is the deployment's variable, set with `npx convex env set NOTES_ISSUER …`; a push
// fails while it is unset, as on a deployment.
const authConfig = {
  // eslint-disable-next-line @convex-dev/no-process-env -- the auth config reads the deployment's variables directly
  providers: [{ domain: process.env.NOTES_ISSUER ?? "https://issuer.invalid", applicationID: "convex" }],
};

export default authConfig;
