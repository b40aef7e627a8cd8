import { FlatCompat } from "@eslint/eslintrc";
import convexPlugin from "@convex-dev/eslint-plugin";
import tseslint from "typescript-eslint";

const compat = new FlatCompat({ baseDirectory: import.meta.dirname });

const TS_FILES = ["**/*.{ts,tsx,mts,cts}"];
const JS_FILES = ["**/*.{js,jsx,mjs,cjs}"];

/** @type {import("eslint").Linter.Config[]} */
const config = [
  {
    ignores: [
      "convex/_generated/**",
      "components/ui/**",
      ".next/**",
      "node_modules/**",
      "playwright-report/**",
      "test-results/**",
      ".offline/**",
      "next-env.d.ts",
      // Written as a Convex project is, against the _generated code the CLI writes into a copy of it.
      "packages/convex-local/test/components-project/**",
      "packages/convex-local/test/npm-components-project/**",
    ],
  },

  // Registers the react, react-hooks, jsx-a11y, import, @next/next and @typescript-eslint plugins.
  ...compat.extends("next/core-web-vitals", "next/typescript"),

  // Type-aware rules: each .ts file is checked against its nearest tsconfig.json
  // (the root one, or convex/tsconfig.json for convex/**).
  {
    files: TS_FILES,
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      // `const { _id, ...rest } = row` drops fields on purpose.
      "@typescript-eslint/no-unused-vars": ["warn", { ignoreRestSiblings: true, argsIgnorePattern: "^_" }],
    },
  },

  // Who may import whom (the map in README.md). Test files are exempt below.
  {
    files: ["**/*.{ts,tsx,mts,cts,js,jsx,mjs}"],
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          zones: [
            ...["convex-local", "clerk-local", "api-client"].map((name) => ({
              target: `./packages/${name}`,
              from: "./",
              except: [`./packages/${name}`, "./node_modules"],
              message: "A package never imports the app: pass what it needs as configuration.",
            })),
            {
              target: "./services",
              from: "./",
              except: ["./services", "./packages", "./convex/model/auth", "./node_modules"],
              message:
                "A service runs on its own: npm packages, the packages and the token's claims parser (convex/model/auth) only.",
            },
            {
              target: "./convex",
              from: [
                "./app",
                "./components",
                "./hooks",
                "./lib",
                "./setup",
                "./offline",
                "./scripts",
                "./bench",
                "./e2e",
              ],
              message: "convex/ is deployed on its own: it imports only convex/ and npm packages.",
            },
            {
              target: "./setup",
              from: ["./app", "./components", "./hooks", "./lib", "./convex", "./offline", "./packages", "./tests"],
              message:
                "setup/ is read by next.config.ts, npm run dev and the doctor: it imports only setup/ and npm packages.",
            },
            {
              target: "./lib",
              from: ["./app", "./components", "./hooks", "./offline", "./scripts", "./bench", "./e2e", "./tests"],
              message: "lib/ is a library: never components/, hooks/ or app/.",
            },
            {
              target: "./hooks",
              from: ["./app", "./components", "./offline", "./scripts", "./bench", "./e2e", "./tests"],
              message: "hooks/ may use lib/, setup/ and convex/, never components/ or app/.",
            },
            {
              target: "./components",
              from: ["./app", "./offline", "./scripts", "./bench", "./e2e", "./tests"],
              message: "components/ never imports app/ or the tooling.",
            },
            {
              target: "./app",
              from: ["./offline", "./scripts", "./bench", "./e2e", "./tests"],
              message: "app/ never imports the tooling.",
            },
          ],
        },
      ],
    },
  },
  {
    // Tests reach across the map to check one part against another.
    files: ["**/*.test.{ts,tsx}", "e2e/**", "tests/**"],
    rules: { "import/no-restricted-paths": "off" },
  },

  // Plain JS (config files, scripts/*.mjs) is in no tsconfig, so it gets no type information.
  {
    files: JS_FILES,
    ...tseslint.configs.disableTypeChecked,
  },

  // Applies to **/convex/**/*.ts.
  ...convexPlugin.configs.recommended,

  {
    files: ["convex/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/_generated/server"],
              importNames: ["query", "mutation", "internalQuery", "internalMutation", "action", "internalAction"],
              message: "Use the builders in convex/functions.ts (userQuery, orgQuery, orgMutation, …)",
            },
            {
              group: ["**/_generated/server"],
              importNames: ["env"],
              message:
                "A push types `env` as only the variables declared in convex.config.ts, and the CLI's type-check then stops the push: read process.env (see convex/model/env.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    // The one module that reads the deployment's variables. Convex's rule asks for variables declared
    // in convex/convex.config.ts and read through the typed `env`; this app has no convex.config.ts yet
    // (the offline stack cannot push one), and `env` without declarations fails a push's type-check.
    files: ["convex/model/env.ts"],
    rules: {
      "@convex-dev/no-process-env": "off",
    },
  },
  {
    // The one module allowed to wrap the raw builders.
    files: ["convex/functions.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/_generated/server"],
              importNames: ["env"],
              message: "Read process.env (see convex/model/env.ts).",
            },
          ],
        },
      ],
    },
  },
];

export default config;
