#include "app/emulator_accounts.h"

namespace roomplane::app {

EmulatorAccounts::EmulatorAccounts(emulator::Emulator& emulator, tenants::TenantStore& tenant_store,
                                   tenants::TenantAdmin& admin, tenants::TenantDirectory& directory)
    : emulator_(emulator), tenant_store_(tenant_store), admin_(admin), directory_(directory) {}

core::Result<int> EmulatorAccounts::provision_all() {
  std::lock_guard lock(mutex_);
  auto all = tenant_store_.list();
  if (!all)
    return std::move(all).take_error();
  int created_count = 0;
  for (const auto& tenant : *all) {
    bool created = false;
    auto credentials = ensure_locked(tenant.id, &created);
    if (!credentials)
      return std::move(credentials).take_error();
    if (created) {
      ++created_count;
      continue;
    }
    // Stored credentials from an earlier run: the emulator forgot them when it stopped.
    emulator::NewAccount account{credentials->account_sid, credentials->auth_token,
                                 credentials->api_key_sid, credentials->api_key_secret};
    if (auto registered = emulator_.create_account(account);
        !registered && registered.error().kind != core::ErrorKind::kConflict) {
      return std::move(registered).take_error();
    }
  }
  return created_count;
}

core::Result<tenants::ProviderCredentials> EmulatorAccounts::ensure(const core::TenantId& tenant) {
  std::lock_guard lock(mutex_);
  bool created = false;
  return ensure_locked(tenant, &created);
}

core::Result<tenants::ProviderCredentials> EmulatorAccounts::ensure_locked(
    const core::TenantId& tenant, bool* created) {
  auto existing = directory_.provider_credentials(tenant);
  if (!existing)
    return std::move(existing).take_error();
  if (*existing)
    return **existing;

  auto account = emulator_.create_account();
  if (!account)
    return std::move(account).take_error();
  const tenants::ProviderCredentials credentials{account->account_sid, account->api_key_sid,
                                                 account->api_key_secret, account->auth_token};
  if (auto saved = admin_.set_provider_credentials(tenant, credentials); !saved)
    return std::move(saved).take_error();
  directory_.forget_provider_credentials(
      tenant);  // the cache may hold "none" from the look-up above
  *created = true;
  return credentials;
}

}  // namespace roomplane::app
