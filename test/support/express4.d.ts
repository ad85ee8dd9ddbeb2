// Express 4, installed as the npm alias `express4` so the middleware runs against both majors.
// Its API is the part of Express 5's typings that the tests use.
declare module 'express4' {
  import express = require('express');
  export = express;
}
