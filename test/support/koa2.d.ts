// Koa 2, installed as the npm alias `koa2` so the adapter runs against both majors. Its API is the
// part of @types/koa (written for 3) that the tests use.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
