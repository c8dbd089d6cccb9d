// SPDX-License-Identifier: Apache-2.0
// Optimistic transactions on arenakv::DB. A Transaction reads at the snapshot
// taken when it began, sees its own writes before anyone else does, can undo
// some of them with a save point, and commits them all as one atomic batch,
// or nothing (Status Busy) if a write committed since it began conflicts with
// what it wrote or validates. Shown on fruits (own writes, a save point), a
// bank (a transfer, a lost update refused, a retry loop) and two doctors
// going off call (write skew: kSnapshot allows it, kSerializable refuses it).
//
// Memory story
//   - Who allocates: Put and Delete add a version to the transaction's write
//     set, a MemTable (the engine's skiplist) in an arena of the
//     transaction's own (a recycled one), charged to Options::memory_budget
//     if any. That is the only copy: Commit serializes the newest write of
//     each key from it into the commit record.
//   - Who frees: nothing is freed write by write. RollbackToSavePoint
//     copies the writes before its mark into a new arena and drops the old.
//   - When the arena is released: whole, when the transaction ends (Commit,
//     whatever it returns, Rollback, destruction). Until then it also holds
//     the DB snapshot taken at Begin, so the history it reads and is
//     validated against is never garbage-collected: an open transaction
//     holds history back like any snapshot.
//
// Concurrency contract
//   A Transaction is used by one thread at a time; any number of them, and
//   plain writes, may run at once, and nothing is locked while they run.
//   Commit's check runs in the write path, by the write-group leader alone
//   once every earlier write is in the memtable: check and write are one
//   atomic step. It reads memtables and table files alike, so a flush in
//   between neither hides a conflict nor invents one. This example runs on
//   one thread and interleaves transactions by hand, so each conflict
//   happens the same way on every run. No memory orders to choose here: the
//   DB synchronizes internally, and a Transaction stays on one thread.
//
// Uses only the public header <arenakv/mvcc/db.h>. Exits non-zero if a check
// fails, so it doubles as a test (ctest: transactions_example).
#include <arenakv/mvcc/db.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace {

bool ok = true;

void Expect(bool condition, const std::string& what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what.c_str());
    ok = false;
  }
}

// Stops the example on an engine error: nothing after it would make sense.
void Check(const arenakv::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// Prints what `label` shows and checks that it is `want`.
void Show(const std::string& label, const std::string& got, const std::string& want) {
  std::printf("%-30s -> %s\n", label.c_str(), got.c_str());
  Expect(got == want, label + ": \"" + got + "\", expected \"" + want + "\"");
}

// The value, or "(not found)", as a DB (the latest commits) or a Transaction
// (its own writes over its snapshot) sees it.
template <typename Reader>
std::string Get(Reader& reader, std::string_view key) {
  std::string value;
  const arenakv::Status s = reader.Get(arenakv::ReadOptions(), key, &value);
  if (s.IsNotFound()) return "(not found)";
  Check(s, "Get");
  return value;
}

// "key=value key=value ...", as the transaction's iterator sees it.
std::string Scan(arenakv::Transaction& txn) {
  std::unique_ptr<arenakv::Iterator> it = txn.NewIterator(arenakv::ReadOptions());
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!out.empty()) out += ' ';
    out.append(it->key()).append("=").append(it->value());
  }
  Check(it->status(), "iteration");
  return out;
}

const char* const kAccounts[] = {"account/alice", "account/bob", "account/carol"};

// "alice=80 bob=70 carol=0".
std::string Balances(arenakv::DB& db) {
  std::string out;
  for (const char* account : kAccounts) {
    if (!out.empty()) out += ' ';
    out.append(account + std::strlen("account/")).append("=").append(Get(db, account));
  }
  return out;
}

std::int64_t Total(arenakv::DB& db) {
  std::int64_t total = 0;
  for (const char* account : kAccounts) total += std::stoll(Get(db, account));
  return total;
}

// Moves `amount` inside `txn`; balances are decimal numbers. GetForUpdate:
// Commit validates what it read under either isolation (it decides the write).
void Transfer(arenakv::Transaction& txn, const char* from, const char* to, std::int64_t amount) {
  std::string from_balance, to_balance;
  Check(txn.GetForUpdate(arenakv::ReadOptions(), from, &from_balance), "GetForUpdate");
  Check(txn.GetForUpdate(arenakv::ReadOptions(), to, &to_balance), "GetForUpdate");
  Check(txn.Put(from, std::to_string(std::stoll(from_balance) - amount)), "Put");
  Check(txn.Put(to, std::to_string(std::stoll(to_balance) + amount)), "Put");
}

// The shape of every optimistic transaction: on Busy, begin again (a fresh
// snapshot, so fresh balances) and redo the work. Returns the attempts made.
int TransferWithRetries(arenakv::DB& db, const char* from, const char* to, std::int64_t amount) {
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<arenakv::Transaction> txn = db.BeginTransaction({}, {});
    Transfer(*txn, from, to, amount);
    const arenakv::Status s = txn->Commit();
    if (s.ok()) return attempt;
    if (!s.IsBusy() || attempt == 10) Check(s, "Commit");
  }
}

const char* const kDoctors[] = {"doctor/alice", "doctor/bob"};

template <typename Reader>
int OnCall(Reader& reader) {
  int on_call = 0;
  for (const char* doctor : kDoctors) on_call += Get(reader, doctor) == "on call" ? 1 : 0;
  return on_call;
}

// Both doctors are put on call, then each, in a transaction of its own, goes
// off call if both are on call: alone, that keeps one on call. Each reads both
// keys with plain Get and writes its own. Returns the second Commit's Status.
arenakv::Status BothGoOffCall(arenakv::DB& db, arenakv::TransactionOptions::Isolation isolation) {
  for (const char* doctor : kDoctors) Check(db.Put({}, doctor, "on call"), "Put");
  arenakv::TransactionOptions options;
  options.isolation = isolation;
  std::unique_ptr<arenakv::Transaction> alice = db.BeginTransaction({}, options);
  std::unique_ptr<arenakv::Transaction> bob = db.BeginTransaction({}, options);
  if (OnCall(*alice) == 2) Check(alice->Put(kDoctors[0], "off"), "Put");
  if (OnCall(*bob) == 2) Check(bob->Put(kDoctors[1], "off"), "Put");
  Check(alice->Commit(), "Commit");
  return bob->Commit();
}

std::string MakeTempDir() {
  std::random_device device;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("arenakv_transactions_example_" + std::to_string(device()));
  std::error_code ec;
  if (!std::filesystem::create_directory(dir, ec)) {
    std::fprintf(stderr, "cannot create %s\n", dir.c_str());
    std::exit(1);
  }
  return dir.string();
}

}  // namespace

int main() {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/txn.db";
  arenakv::Options options;
  std::unique_ptr<arenakv::DB> db;
  Check(arenakv::DB::Open(options, path, &db), "Open");
  std::printf("opened %s\n", path.c_str());
  const arenakv::WriteOptions write;
  const arenakv::TransactionOptions snapshot_isolation;  // kSnapshot, the default

  // Read your own writes: the transaction sees them at once, nobody else
  // before Commit; it reads at its snapshot, so a later commit is unseen.
  Check(db->Put(write, "fruit/apple", "red"), "Put");
  {
    std::unique_ptr<arenakv::Transaction> txn = db->BeginTransaction(write, snapshot_isolation);
    Check(txn->Put("fruit/apple", "green"), "Put");
    Check(txn->Put("fruit/banana", "yellow"), "Put");
    Check(db->Put(write, "fruit/cherry", "red"), "Put");  // someone else commits meanwhile
    Show("banana, in the txn", Get(*txn, "fruit/banana"), "yellow");
    Show("banana, in the DB", Get(*db, "fruit/banana"), "(not found)");
    Show("the txn's iterator", Scan(*txn), "fruit/apple=green fruit/banana=yellow");
    Check(txn->Commit(), "Commit");
    Show("apple, banana after Commit", Get(*db, "fruit/apple") + ", " + Get(*db, "fruit/banana"),
         "green, yellow");
    std::string value;
    Expect(txn->Get(arenakv::ReadOptions(), "fruit/apple", &value).IsInvalidArgument(),
           "a finished transaction refuses every call");
  }

  // A save point: RollbackToSavePoint undoes the writes made since the mark.
  {
    std::unique_ptr<arenakv::Transaction> txn = db->BeginTransaction(write, snapshot_isolation);
    Check(txn->Put("fruit/kiwi", "green"), "Put");
    txn->SetSavePoint();
    Check(txn->Put("fruit/kiwi", "brown"), "Put");
    Check(txn->Delete("fruit/apple"), "Delete");
    Show("before the rollback", Scan(*txn),
         "fruit/banana=yellow fruit/cherry=red fruit/kiwi=brown");
    Check(txn->RollbackToSavePoint(), "RollbackToSavePoint");
    Show("after the rollback", Scan(*txn),
         "fruit/apple=green fruit/banana=yellow fruit/cherry=red fruit/kiwi=green");
    Expect(txn->RollbackToSavePoint().IsNotFound(), "the rollback removed the mark");
    Check(txn->Commit(), "Commit");
    Show("kiwi after Commit", Get(*db, "fruit/kiwi"), "green");
  }

  // A bank: transfers keep the total constant, also when two collide.
  Check(db->Put(write, kAccounts[0], "100"), "Put");
  Check(db->Put(write, kAccounts[1], "50"), "Put");
  Check(db->Put(write, kAccounts[2], "0"), "Put");
  Expect(TransferWithRetries(*db, kAccounts[0], kAccounts[1], 20) == 1, "no conflict: 1 attempt");
  Show("alice pays bob 20", Balances(*db), "alice=80 bob=70 carol=0");
  {
    // Two transfers from alice at once: both read alice=80 at their snapshots.
    std::unique_ptr<arenakv::Transaction> first = db->BeginTransaction(write, snapshot_isolation);
    std::unique_ptr<arenakv::Transaction> second = db->BeginTransaction(write, snapshot_isolation);
    Transfer(*first, kAccounts[0], kAccounts[1], 30);
    Transfer(*second, kAccounts[0], kAccounts[2], 50);
    Check(first->Commit(), "Commit");
    Check(db->Flush(), "Flush");  // the conflicting version is in a table file now: still found
    const arenakv::Status s = second->Commit();
    // Had it committed, alice would hold 80 - 50 = 30: 30 made out of nothing.
    Show("alice pays bob 30", Balances(*db), "alice=50 bob=100 carol=0");
    Show("meanwhile alice pays carol 50", s.IsBusy() ? "Busy, nothing written" : s.ToString(),
         "Busy, nothing written");
  }
  const int attempts = TransferWithRetries(*db, kAccounts[0], kAccounts[2], 50);
  Show("retried: " + std::to_string(attempts) + " attempt(s)", Balances(*db),
       "alice=0 bob=100 carol=50");
  Show("total", std::to_string(Total(*db)), "150");

  // Write skew: the two write sets are disjoint, so kSnapshot commits both.
  Check(BothGoOffCall(*db, arenakv::TransactionOptions::kSnapshot), "Commit");
  Show("kSnapshot: doctors on call", std::to_string(OnCall(*db)), "0");
  std::printf("  nobody is on call: each commit keeps the rule alone, together they break it\n");
  // kSerializable validates what Get read too: bob read alice's key, which
  // alice's Commit changed, so bob's Commit is refused.
  const arenakv::Status s = BothGoOffCall(*db, arenakv::TransactionOptions::kSerializable);
  Show("kSerializable: bob's Commit", s.IsBusy() ? "Busy" : s.ToString(), "Busy");
  Show("kSerializable: doctors on call", std::to_string(OnCall(*db)), "1");

  db.reset();
  Check(arenakv::DestroyDB(path, options), "DestroyDB");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ok) {
    std::fprintf(stderr, "transactions_example: FAILED\n");
    return 1;
  }
  std::printf("transactions_example: OK\n");
  return 0;
}
