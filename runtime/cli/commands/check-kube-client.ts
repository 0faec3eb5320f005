// What `edgemu check` uses of @kubernetes/client-node, imported when a dry run starts. Named
// exports of a file of its own rather than `import('@kubernetes/client-node')`: the CLI's bundle
// (bin/cli-bundle.js) then keeps only the parts of the client that edgemu uses, where a dynamic
// import of the package would keep all of it (esbuild docs, "Tree shaking").
export { CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
