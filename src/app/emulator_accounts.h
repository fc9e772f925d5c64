#pragma once
// With the embedded emulator, every tenant talks to it through an emulator account. The
// emulator keeps accounts in memory, so at start each tenant's stored credentials are
// registered again; a tenant without credentials gets a new account whose credentials are
// stored (sealed) exactly as `tenant set-twilio` would store them.
//
// Created by the composition root in emulator mode. Blocking (store I/O): call from the owner
// thread at start or from WorkPool threads. Thread-safe.

#include <mutex>

#include "emulator/emulator.h"
#include "tenants/stores.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"

namespace roomplane::app {

class EmulatorAccounts {
 public:
  EmulatorAccounts(emulator::Emulator& emulator, tenants::TenantStore& tenant_store,
                   tenants::TenantAdmin& admin, tenants::TenantDirectory& directory);

  // Registers or creates an account for every tenant. Returns how many were created.
  core::Result<int> provision_all();
  // The tenant's credentials, creating an emulator account first if it has none.
  core::Result<tenants::ProviderCredentials> ensure(const core::TenantId& tenant);

 private:
  core::Result<tenants::ProviderCredentials> ensure_locked(const core::TenantId& tenant,
                                                           bool* created);

  emulator::Emulator& emulator_;
  tenants::TenantStore& tenant_store_;
  tenants::TenantAdmin& admin_;
  tenants::TenantDirectory& directory_;
  std::mutex mutex_;  // one provisioning at a time: no tenant gets two accounts
};

}  // namespace roomplane::app
