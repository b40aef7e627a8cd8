// TypeScript 6 checks side-effect imports and Next 15.5 declares only *.module.css; this covers `import "./globals.css"`.
declare module "*.css" {}
