DROP TRIGGER IF EXISTS "extension_storage_quota" ON "extension_storage_usage";--> statement-breakpoint
DROP FUNCTION IF EXISTS "extension_storage_check_quota"();--> statement-breakpoint
DROP TRIGGER IF EXISTS "extension_storage_usage_delete" ON "extension_storage";--> statement-breakpoint
DROP TRIGGER IF EXISTS "extension_storage_usage_resize" ON "extension_storage";--> statement-breakpoint
DROP TRIGGER IF EXISTS "extension_storage_usage_insert" ON "extension_storage";--> statement-breakpoint
DROP FUNCTION IF EXISTS "extension_storage_track_usage"();--> statement-breakpoint
DROP INDEX IF EXISTS "extension_storage_expires_at";--> statement-breakpoint
ALTER TABLE "extension_storage" DROP COLUMN IF EXISTS "expires_at";--> statement-breakpoint
DROP TABLE IF EXISTS "extension_storage_usage";
