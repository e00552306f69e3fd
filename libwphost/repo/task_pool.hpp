// A small pool of worker threads with a bounded queue, for the parallel
// parts of backup, restore and check. The first task that throws stops the
// rest; submit() and wait_all() rethrow its exception.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wph::repo {

class TaskPool {
public:
    // `queue_limit` bounds the tasks waiting (and so the memory they hold).
    TaskPool(unsigned workers, std::size_t queue_limit) : limit_(queue_limit) {
        for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
    }
    // Drains the queue (tasks still run unless one has failed), then joins.
    ~TaskPool() {
        {
            std::lock_guard<std::mutex> l(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto &t : threads_) t.join();
    }
    TaskPool(const TaskPool &) = delete;
    TaskPool &operator=(const TaskPool &) = delete;

    void submit(std::function<void()> task) {
        std::unique_lock<std::mutex> l(mu_);
        space_.wait(l, [&] { return queue_.size() < limit_ || error_; });
        if (error_) std::rethrow_exception(error_);
        queue_.push_back(std::move(task));
        cv_.notify_one();
    }
    // Wait until every submitted task has run.
    void wait_all() {
        std::unique_lock<std::mutex> l(mu_);
        idle_.wait(l, [&] { return (queue_.empty() && busy_ == 0) || (error_ && busy_ == 0); });
        if (error_) std::rethrow_exception(error_);
    }

    // The number of workers for CPU-bound work on this machine.
    static unsigned cores(unsigned at_least = 1, unsigned at_most = 16) {
        return std::clamp(std::thread::hardware_concurrency(), at_least, at_most);
    }

private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> l(mu_);
                cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
                if (queue_.empty()) return;
                task = std::move(queue_.front());
                queue_.pop_front();
                ++busy_;
            }
            space_.notify_one();
            try {
                if (!failed_) task();
            } catch (...) {
                std::lock_guard<std::mutex> l(mu_);
                if (!error_) error_ = std::current_exception();
                failed_ = true;
            }
            {
                std::lock_guard<std::mutex> l(mu_);
                --busy_;
            }
            idle_.notify_all();
            space_.notify_all();
        }
    }

    const std::size_t limit_;
    std::mutex mu_;
    std::condition_variable cv_, space_, idle_;
    std::deque<std::function<void()>> queue_;
    unsigned busy_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
    std::atomic<bool> failed_{false};
    std::vector<std::thread> threads_;
};

}  // namespace wph::repo
