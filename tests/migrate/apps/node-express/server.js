"use strict";
const express = require("express");
const version = require("express/package.json").version;

const app = express();
app.get("/", (req, res) => {
  res.type("text/plain").send(`hello from express ${version}\n`);
});

const port = Number(process.env.PORT || 3000);
app.listen(port, process.env.HOST || "127.0.0.1", () => {
  console.log(`listening on ${port}`);
});
