ALTER TABLE "extension_storage" ALTER COLUMN "id" DROP IDENTITY;--> statement-breakpoint
ALTER TABLE "extension_storage" ALTER COLUMN "id" SET DEFAULT (floor(random() * 9007199254740991) + 1)::bigint;