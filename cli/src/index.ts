export { main } from './main.js';
export { loadConfig } from './load-config.js';
export { resolvePlugins, standardPlugins } from './resolve-plugins.js';
