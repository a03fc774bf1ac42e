-- Tables for test/prisma/schema.prisma, created in a fresh schema per test run (search_path is
-- set by the caller). Plain SQL on purpose: `prisma migrate` needs the schema engine binary.
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

CREATE TABLE "User" (
  "id" SERIAL PRIMARY KEY,
  "email" TEXT NOT NULL UNIQUE,
  "name" TEXT,
  "role" "Role" NOT NULL DEFAULT 'USER',
  "balance" DECIMAL(12, 2) NOT NULL DEFAULT 0,
  "visits" BIGINT NOT NULL DEFAULT 0,
  "avatar" BYTEA,
  "settings" JSONB,
  "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE "Profile" (
  "id" SERIAL PRIMARY KEY,
  "bio" TEXT NOT NULL,
  "userId" INTEGER NOT NULL UNIQUE REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "Post" (
  "id" SERIAL PRIMARY KEY,
  "title" TEXT NOT NULL,
  "published" BOOLEAN NOT NULL DEFAULT false,
  "authorId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "Tag" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL UNIQUE
);

CREATE TABLE "_PostToTag" (
  "A" INTEGER NOT NULL REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "B" INTEGER NOT NULL REFERENCES "Tag"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "_PostToTag_AB_pkey" PRIMARY KEY ("A", "B")
);
CREATE INDEX "_PostToTag_B_index" ON "_PostToTag"("B");

CREATE TABLE "comments" (
  "id" SERIAL PRIMARY KEY,
  "body" TEXT NOT NULL,
  "postId" INTEGER NOT NULL REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "authorId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "Review" (
  "id" SERIAL PRIMARY KEY,
  "stars" INTEGER NOT NULL,
  "authorId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE TYPE "Level" AS ENUM ('INFO', 'WARN');

CREATE TABLE "events" (
  "id" TEXT PRIMARY KEY,
  "event_code" TEXT NOT NULL UNIQUE,
  "event_kind" TEXT NOT NULL,
  "level" "Level" NOT NULL DEFAULT 'INFO',
  "amount" DECIMAL(12, 2) NOT NULL DEFAULT 0,
  "count" BIGINT NOT NULL DEFAULT 1,
  "payload" JSONB,
  "data" BYTEA,
  "labels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL
);
